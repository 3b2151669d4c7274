"""`qa`: index the corpus, search it, list and show articles. Parses, calls the engine, prints."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from qa import __version__
from qa.engine import Engine, SearchResponse
from qa.errors import QAError
from qa.followup import parse_history
from qa.indexer import SyncReport
from qa.settings import Settings, force_offline
from qa.vectors import Embedder

log = logging.getLogger("qa")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", help="folder of articles (env QA_CORPUS_DIR, default corpus/)")
    common.add_argument("--index", help="index folder (env QA_INDEX_DIR, default index/)")
    common.add_argument("--model", help="sentence-transformers model name or path (env QA_MODEL)")
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens")

    parser = argparse.ArgumentParser(prog="qa", description="Cited question answering over a folder of news articles.")
    parser.add_argument("--version", action="version", version=f"qa {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    index = commands.add_parser("index", parents=[common], help="sync the index with the corpus folder")
    index.add_argument("--full", action="store_true", help="re-embed every passage, ignoring the cache")

    commands.add_parser("list", parents=[common], help="list indexed articles").add_argument(
        "--json", action="store_true", help="print JSON"
    )

    show = commands.add_parser("show", parents=[common], help="print one article as indexed")
    show.add_argument("article_id")
    show.add_argument("--dropped", action="store_true", help="print what cleaning removed, and why")

    search = commands.add_parser("search", parents=[common], help="find the passages that best match a query")
    search.add_argument("query", nargs="?", help="the query (omit with --jsonl)")
    search.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.add_argument("--jsonl", metavar="FILE", help="read {question, history} lines from FILE (- for stdin)")
    return parser


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, embedder: Embedder | None = None) -> int:
    """Run one command; `embedder` lets a caller that already loaded the model reuse it."""
    args = build_parser().parse_args(argv)
    out = stdout or sys.stdout
    _configure_logging(logging.INFO if args.verbose else logging.WARNING)
    force_offline()
    try:
        settings = Settings.from_env(corpus_dir=args.corpus, index_dir=args.index, model=args.model)
        engine = Engine(settings, embedder if embedder and embedder.model_name == settings.model else None)
        handler: Callable[[Engine, argparse.Namespace, TextIO], None] = _HANDLERS[args.command]
        handler(engine, args, out)
    except QAError as exc:
        print(f"qa: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130
    return 0


def _configure_logging(level: int) -> None:
    """Filter at the handler: some libraries (bm25s) force their own loggers to DEBUG."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("qa: %(levelname)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)


def _index(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    with _ProgressBar("embedding") as bar:
        report = engine.index(full=args.full, progress=bar.update)
    print(format_report(report, engine.settings), file=out)


def format_report(report: SyncReport, settings: Settings) -> str:
    lines = []
    if report.rebuild_reason:
        lines.append(f"note: {report.rebuild_reason}")
    if report.up_to_date:
        lines.append(
            f"Index {settings.index_dir} is up to date: {report.unchanged} articles, "
            f"{report.passages} paragraphs; nothing embedded ({report.seconds:.1f} s)"
        )
    else:
        lines.append(
            f"Indexed {settings.corpus_dir} into {settings.index_dir} with {settings.model} in {report.seconds:.1f} s"
        )
        lines.append(
            f"  articles: {len(report.added)} added, {len(report.changed)} changed, "
            f"{len(report.removed)} removed, {report.unchanged} unchanged"
        )
        lines.append(f"  passages: {report.passages} in the index, with {report.sentences} sentences")
        lines.append(f"  vectors: {report.embedded} embedded, the rest reused from the cache")
        for label, ids in (("added", report.added), ("changed", report.changed), ("removed", report.removed)):
            lines.extend(f"  {label}: {article_id}" for article_id in ids)
    lines.extend(f"  skipped {s.path}: {s.reason}" for s in report.skipped)
    lines.extend(
        f"  near-duplicate: {d.article_id} repeats {d.share:.0%} of its paragraphs from {d.of}; both stay indexed"
        for d in report.near_duplicates
    )
    return "\n".join(lines)


def _list(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    articles = engine.articles()
    if args.json:
        rows = [
            {
                "id": a.article_id,
                "title": a.display_title,
                "source": a.source,
                "date": a.date,
                "paragraphs": a.paragraphs,
            }
            for a in articles
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2), file=out)
        return
    for a in articles:
        print(
            f"{a.article_id}  {a.display_title}\n    source: {a.source or '-'}  date: {a.date or '-'}  "
            f"paragraphs: {a.paragraphs}",
            file=out,
        )
    print(f"{len(articles)} articles", file=out)


def _show(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    view = engine.show(args.article_id)
    a = view.article
    print(f"{a.display_title}\n{a.article_id} ({a.path})  source: {a.source or '-'}  date: {a.date or '-'}\n", file=out)
    if args.dropped:
        print(f"Dropped while cleaning ({len(view.dropped)}):", file=out)
        for d in view.dropped:
            print(f"  line {d.position} [{d.reason}]: {d.text}", file=out)
        return
    for p in view.passages:
        label = f"¶{p.paragraph}" + (f".{p.part}" if p.parts > 1 else "")
        print(textwrap.fill(p.text, width=100, initial_indent=f"{label:>5} ", subsequent_indent=" " * 6), file=out)


def _search(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    if args.jsonl:
        source = sys.stdin if args.jsonl == "-" else open(args.jsonl, encoding="utf-8")  # noqa: SIM115
        with source:
            for line_number, line in enumerate(source, start=1):
                if line.strip():
                    print(
                        json.dumps(_search_line(engine, line, args.k, line_number), ensure_ascii=False),
                        file=out,
                        flush=True,
                    )
        return
    if args.query is None:
        raise QAError("give a query, or --jsonl FILE to read many")
    response = engine.search(args.query, k=args.k)
    if args.json:
        print(json.dumps(response.to_dict(), ensure_ascii=False, indent=2), file=out)
    else:
        print(format_results(response), file=out)


def _search_line(engine: Engine, line: str, k: int, line_number: int) -> dict[str, Any]:
    """One output object per input line; a bad line gets an error object, not a crash."""
    try:
        request = json.loads(line)
        if not isinstance(request, dict) or not isinstance(request.get("question"), str):
            raise QAError('each line must be a JSON object with a "question" string')
        return engine.search(request["question"], k=k, history=parse_history(request.get("history"))).to_dict()
    except (json.JSONDecodeError, QAError) as exc:
        return {"error": f"line {line_number}: {exc}"}


def format_results(response: SearchResponse) -> str:
    if not response.results:
        return f"No passages match {response.query!r}."
    lines = []
    if response.searched_for != response.query:
        lines.append(f"(searched for: {response.searched_for})")
    for rank, r in enumerate(response.results, start=1):
        lines.append(f"{rank}. {r.passage.article_id} ¶{r.passage.paragraph}  {r.title}  (score {r.score:.2f})")
        lines.append(textwrap.fill(r.passage.text, width=100, initial_indent="   ", subsequent_indent="   "))
    return "\n".join(lines)


class _ProgressBar:
    """A tqdm bar created on the first update, so no-op syncs print nothing."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Any = None

    def update(self, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self.label, unit="text", file=sys.stderr, leave=False)
        self._bar.update(done - self._bar.n)

    def __enter__(self) -> _ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()


_HANDLERS: dict[str, Callable[[Engine, argparse.Namespace, TextIO], None]] = {
    "index": _index,
    "list": _list,
    "show": _show,
    "search": _search,
}
