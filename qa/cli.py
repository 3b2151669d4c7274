"""`qa`: index, ask, search, list, show, eval. Parses, calls the engine, prints."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import textwrap
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from qa import __version__
from qa.cite import Answer
from qa.conversation import markdown
from qa.engine import DEFAULT_PASSAGES, Engine, SearchResponse
from qa.errors import ConfigError, QAError
from qa.evaluate import SYSTEMS, format_table, load_questions, misses, run_systems, score, scratch_engine
from qa.filters import Filter
from qa.followup import Turn, parse_history
from qa.present import format_report
from qa.settings import BACKENDS, Settings, force_offline
from qa.vectors import Embedder, vector_model

log = logging.getLogger("qa")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", help="folder of articles (env QA_CORPUS_DIR, default corpus/)")
    common.add_argument("--index", help="index folder (env QA_INDEX_DIR, default index/)")
    common.add_argument("--model", help="sentence-transformers model name or path (env QA_MODEL)")
    common.add_argument(
        "--backend",
        choices=BACKENDS,
        help="torch (default), or onnx-int8: an int8 copy of the model, exported once into the index folder "
        "(env QA_BACKEND)",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens")

    narrow = argparse.ArgumentParser(add_help=False)
    within = narrow.add_argument_group("filters (combine to narrow further)")
    within.add_argument("--article", action="append", metavar="ID", help="only this article (repeatable)")
    within.add_argument("--source", help="only articles whose outlet contains this (any case)")
    within.add_argument("--since", metavar="YYYY-MM-DD", help="only articles dated on or after this day")
    within.add_argument("--until", metavar="YYYY-MM-DD", help="only articles dated on or before this day")

    parser = argparse.ArgumentParser(prog="qa", description="Cited question answering over a folder of news articles.")
    parser.add_argument("--version", action="version", version=f"qa {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    index = commands.add_parser("index", parents=[common], help="sync the index with the corpus folder")
    index.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="index only these corpus files (added, changed or deleted) instead of looking at the whole folder",
    )
    index.add_argument("--full", action="store_true", help="re-embed every passage, ignoring the cache")
    index.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="embed on N Ray actors: a local Ray, or the cluster at QA_RAY_ADDRESS (env QA_WORKERS; "
        "default: this process, the fastest on one machine)",
    )

    commands.add_parser("list", parents=[common], help="list indexed articles").add_argument(
        "--json", action="store_true", help="print JSON"
    )

    show = commands.add_parser("show", parents=[common], help="print one article as indexed")
    show.add_argument("article_id")
    show.add_argument("--dropped", action="store_true", help="print what cleaning removed, and why")

    ask = commands.add_parser("ask", parents=[common, narrow], help="answer a question with cited sentences")
    ask.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    ask.add_argument(
        "-k", type=int, default=DEFAULT_PASSAGES, help=f"passages to consider (default {DEFAULT_PASSAGES})"
    )
    form = ask.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print JSON")
    form.add_argument("--markdown", action="store_true", help="print Markdown: the answer, then its sources")
    ask.add_argument("--jsonl", metavar="FILE", help="read {question, history} lines from FILE (- for stdin)")

    evaluate = commands.add_parser("eval", parents=[common], help="score answers on question files")
    evaluate.add_argument("files", nargs="+", type=Path, help="question files (JSON lines, as shared/eval/dev.jsonl)")
    evaluate.add_argument(
        "--add",
        action="append",
        type=Path,
        default=[],
        metavar="ARTICLE",
        help="score on a scratch copy of corpus and index with this article added (repeatable)",
    )
    evaluate.add_argument("--json", action="store_true", help="print JSON")
    evaluate.add_argument("--show-misses", action="store_true", help="list the questions answered wrongly")
    evaluate.add_argument(
        "--exact-answer",
        action="store_true",
        help="also score the extracted answer span against the gold answers (SQuAD-normalised exact match)",
    )

    search = commands.add_parser("search", parents=[common, narrow], help="find the passages that best match a query")
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
        settings = Settings.from_env(
            corpus_dir=args.corpus,
            index_dir=args.index,
            model=args.model,
            backend=args.backend,
            workers=getattr(args, "workers", None),
        )
        wanted = vector_model(settings.model, settings.backend)
        shared = embedder is not None and embedder.model_name == wanted and not settings.distributed
        engine = Engine(settings, embedder if shared else None)
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
    if args.full and args.files:
        raise ConfigError("--full rebuilds the whole index; leave out the file names")
    with _ProgressBar("embedding") as bar:
        if args.files:
            report = engine.update(args.files, progress=bar.update)
        else:
            report = engine.index(full=args.full, progress=bar.update)
    print(format_report(report, engine.settings), file=out)


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
        label = p.place + (f".{p.part}" if p.parts > 1 else "")
        print(textwrap.fill(p.text, width=100, initial_indent=f"{label:>5} ", subsequent_indent=" " * 6), file=out)


def _filter(args: argparse.Namespace) -> Filter:
    return Filter.parse(args.article, args.source, args.since, args.until)


def _search(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    where = _filter(args)
    if args.jsonl:
        _each_line(args.jsonl, out, lambda q, h: engine.search(q, k=args.k, history=h, where=where).to_dict())
        return
    if args.query is None:
        raise QAError("give a query, or --jsonl FILE to read many")
    response = engine.search(args.query, k=args.k, where=where)
    if args.json:
        print(json.dumps(response.to_dict(), ensure_ascii=False, indent=2), file=out)
    else:
        print(format_results(response), file=out)


def _ask(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    where = _filter(args)
    if args.jsonl:
        _each_line(args.jsonl, out, lambda q, h: engine.ask(q, history=h, k=args.k, where=where).to_dict())
        return
    if args.question is None:
        raise QAError("give a question, or --jsonl FILE to read many")
    answer = engine.ask(args.question, k=args.k, where=where)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2), file=out)
    elif args.markdown:
        print(markdown([answer], title="corpus-qa answer"), end="", file=out)
    else:
        print(format_answer(answer), file=out)


def _each_line(path: str, out: TextIO, handle: Callable[[str, list[Turn]], dict[str, Any]]) -> None:
    """One output object per input line; a bad line gets an error object, not a crash."""
    source = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    with source:
        for line_number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                request = json.loads(line)
                if not isinstance(request, dict) or not isinstance(request.get("question"), str):
                    raise QAError('each line must be a JSON object with a "question" string')
                result = handle(request["question"], parse_history(request.get("history")))
            except (json.JSONDecodeError, QAError) as exc:
                result = {"error": f"line {line_number}: {exc}"}
            print(json.dumps(result, ensure_ascii=False), file=out, flush=True)


def _eval(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    questions = load_questions(args.files)
    with scratch_engine(engine, args.add) if args.add else nullcontext(engine) as target:
        outcomes = run_systems(target, questions)
    scores = {name: score(results, args.exact_answer and name == SYSTEMS[0]) for name, results in outcomes.items()}
    wrong = misses(outcomes["corpus-qa"])
    if args.json:
        data = {"questions": len(questions), "scores": {name: asdict(s) for name, s in scores.items()}}
        if args.show_misses:
            data["misses"] = [{"id": o.question.id, "question": o.question.question, "answer": o.answer} for o in wrong]
        print(json.dumps(data, indent=2), file=out)
        return
    print(format_table(scores, questions, args.exact_answer), file=out)
    if args.show_misses:
        print(f"\nMisses ({len(wrong)}):", file=out)
        for o in wrong:
            print(f"  {o.question.id} {o.question.question}\n    -> {o.answer}", file=out)


def format_answer(answer: Answer) -> str:
    lines = [textwrap.fill(answer.answer, width=100)]
    if answer.searched_for != answer.question:
        lines.insert(0, f"(understood as: {answer.searched_for})")
    for label, citations in (("Sources", answer.citations), ("Related", answer.related)):
        if citations:
            lines.append(f"\n{label}:")
        for c in citations:
            meta = ", ".join(x for x in (c.source, c.date) if x)
            lines.append(f"[{c.n}] {c.title}{f' ({meta})' if meta else ''} — {c.article_id} {c.place}")
            lines.append(textwrap.fill(f"“{c.quote}”", width=100, initial_indent="    ", subsequent_indent="    "))
    return "\n".join(lines)


def format_results(response: SearchResponse) -> str:
    if not response.results:
        return f"No passages match {response.query!r}."
    lines = []
    if response.searched_for != response.query:
        lines.append(f"(searched for: {response.searched_for})")
    for rank, r in enumerate(response.results, start=1):
        lines.append(f"{rank}. {r.passage.article_id} {r.passage.place}  {r.title}  (score {r.score:.2f})")
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
    "ask": _ask,
    "eval": _eval,
}
