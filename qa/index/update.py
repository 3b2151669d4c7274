"""Re-index named corpus files without walking the folder: what an upload or removal needs.

A sync (qa.index.indexer) stats every file of the corpus folder to learn what changed, about
20 µs a file: at 5,000 files that is more than the rest of adding one article, and it
grows with the corpus. When the caller knows which files changed (the app's upload and
remove buttons, `qa index FILE…`), only those files and the delta's own are read and only
the delta segment is rewritten, so adding an article costs the same at any corpus size.

Whatever a delta cannot express simply falls back to the full sync: no usable index yet,
another model, a delta grown past its limit, an article id that another file already
has, or a delta article whose file is gone or unreadable.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

from qa import metadata
from qa.articles import Article, ArticleMemo, CorpusFile, SkippedFile, article_id_of
from qa.errors import ConfigError, IndexCorruptError, IndexMismatchError, IndexMissingError
from qa.index.indexer import SyncReport, sync, write_articles
from qa.index.plan import Plan, diff, plan_delta, stamps
from qa.index.store import IndexStore
from qa.index.version import IndexVersion
from qa.vectors import Embedder, Progress

log = logging.getLogger(__name__)


def named_files(corpus_dir: Path, paths: Sequence[Path]) -> list[CorpusFile]:
    """The corpus files at `paths` (which may no longer exist), checked to be ones a sync reads."""
    if not paths:
        raise ConfigError("name at least one file to index, or run `qa index` alone to sync the whole folder")
    root = corpus_dir.resolve()
    files = []
    for path in paths:
        full = Path(path).resolve()
        if not full.is_relative_to(root):
            raise ConfigError(f"{path} is not inside the corpus folder {corpus_dir}")
        relative = full.relative_to(root)
        if not relative.parts or any(part.startswith(".") for part in relative.parts):
            raise ConfigError(f"{path} is not an article file: hidden names (starting with '.') are never indexed")
        files.append(CorpusFile(relative.as_posix(), str(full)))
    return files


def update(
    corpus_dir: Path,
    paths: Sequence[Path],
    store: IndexStore,
    embedder: Embedder,
    *,
    progress: Progress | None = None,
    lock_timeout: float = 300.0,
    memo: ArticleMemo | None = None,
) -> SyncReport:
    """Bring the index in line with these files of the corpus: added, changed or deleted.

    Other files of the folder are not looked at; `qa index` alone syncs them all."""
    started = time.perf_counter()
    files = named_files(corpus_dir, paths)
    memo = memo or ArticleMemo()
    report = None
    with store.lock(lock_timeout):
        store.prune()
        try:
            previous = store.open(mapped=True)
        except (IndexMissingError, IndexMismatchError, IndexCorruptError):
            previous = None
        if previous is not None:
            try:
                if previous.manifest.model == embedder.model_name:
                    report = _update(corpus_dir, files, previous, store, embedder, memo, progress)
            finally:
                previous.close()
    if report is None:
        log.info("syncing the whole corpus folder: a delta cannot take this change")
        return sync(corpus_dir, store, embedder, progress=progress, lock_timeout=lock_timeout, memo=memo)
    report.seconds = time.perf_counter() - started
    return report


def _update(
    corpus_dir: Path,
    files: list[CorpusFile],
    previous: IndexVersion,
    store: IndexStore,
    embedder: Embedder,
    memo: ArticleMemo,
    progress: Progress | None,
) -> SyncReport | None:
    """Write a delta for `files` beside the previous base; None when only a full sync can."""
    named = {article_id_of(f.relative): f for f in files}
    if len(named) < len({f.relative for f in files}):
        return None
    delta = {a: CorpusFile(path, str(corpus_dir / path)) for a, path in previous.delta_articles().items()}
    involved = delta | named
    read = dict(zip(involved, memo.read(list(involved.values()), complete=False), strict=True))
    edited = metadata.load(corpus_dir)
    read = {a: metadata.apply(edited, [r])[0] if isinstance(r, Article) else r for a, r in read.items()}
    known = previous.article_states(list(involved))
    if any(isinstance(read[a], str) for a in involved if a not in named):
        return None
    if any(a in known and known[a].path != f.relative for a, f in named.items()):
        return None
    report = SyncReport()
    current: dict[str, Article | None] = {}
    for article_id, result in read.items():
        if isinstance(result, Article):
            current[article_id] = result
            continue
        current[article_id] = None
        if os.path.lexists(involved[article_id].path):
            log.warning("skipping %s: %s", involved[article_id].relative, result)
            report.skipped.append(SkippedFile(involved[article_id].relative, result))
    changes = diff({a: state.content_hash for a, state in known.items()}, current)
    articles = previous.manifest.articles + len(changes.added) - len(changes.removed)
    report.record(changes, articles)
    report.passages = previous.passage_count
    if not changes:
        return report

    in_order = dict(sorted(current.items(), key=lambda item: involved[item[0]].relative.split("/")))
    planned = plan_delta(previous, in_order, whole=False, articles=articles, max_words=embedder.max_words)
    if planned is None:
        return None
    written, base = planned
    plan = Plan(written, stamps([a.article_id for a in written], changes.fresh, known), changes.fresh, base)
    report.version = write_articles(plan, store, embedder, report, progress=progress)
    return report
