"""Sync the index with the corpus folder, embedding only sentences whose text is new."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa import metadata
from qa.articles import Article, ArticleMemo, SkippedFile, scan_corpus
from qa.errors import ConfigError, IndexCorruptError, IndexMismatchError, IndexMissingError
from qa.index import ann
from qa.index.format import CACHE, SentenceRecord
from qa.index.plan import Changes, Plan, diff, plan_delta, stamps
from qa.index.store import IndexStore
from qa.index.version import IndexVersion
from qa.index.writer import VersionContent
from qa.passages import passages_of, text_hash
from qa.sentences import split_sentences
from qa.vectors import Embedder, Progress, VectorCache, mean_vectors

log = logging.getLogger(__name__)

NEAR_DUPLICATE_SIMILARITY = 0.92
"""Cosine at which two paragraphs say the same thing in nearly the same words."""
NEAR_DUPLICATE_SHARE = 0.6
"""Share of an article's paragraphs found in another article to call it a near-duplicate."""
NEAR_DUPLICATE_NEIGHBOURS = 8
"""Base passages compared with each new passage when only a delta is written."""
NEAR_DUPLICATE_BATCH = 4096
"""Rows searched for near-duplicates at a time."""


@dataclass(frozen=True)
class NearDuplicate:
    article_id: str
    of: str
    share: float


@dataclass
class SyncReport:
    """What `qa index` did, for printing and for tests."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    passages: int = 0
    sentences: int = 0
    embedded: int = 0
    """Sentences whose vectors were computed rather than taken from the cache."""
    skipped: list[SkippedFile] = field(default_factory=list)
    near_duplicates: list[NearDuplicate] = field(default_factory=list)
    delta_passages: int | None = None
    """Passages written beside the kept base; None when the whole index was written."""
    rebuild_reason: str | None = None
    version: str | None = None
    seconds: float = 0.0

    @property
    def up_to_date(self) -> bool:
        return self.version is None

    def record(self, changes: Changes, articles: int) -> None:
        """Take the diff's lists; `articles` is how many the index holds after it."""
        self.added, self.changed, self.removed = changes.added, changes.changed, changes.removed
        self.unchanged = articles - len(changes.added) - len(changes.changed)


def sync(
    corpus_dir: Path,
    store: IndexStore,
    embedder: Embedder,
    *,
    full: bool = False,
    progress: Progress | None = None,
    lock_timeout: float = 300.0,
    memo: ArticleMemo | None = None,
) -> SyncReport:
    """Bring the index in line with the corpus; a no-op (and no model load) when nothing changed.

    Pass the same `memo` to every sync of a long-running process to skip re-reading files
    that have not changed."""
    started = time.perf_counter()
    articles, report = read_corpus(corpus_dir, memo)
    with store.lock(lock_timeout):
        store.prune()
        previous, report.rebuild_reason = _previous_state(store, embedder.model_name)
        try:
            report.version = _write(articles, store, embedder, previous, report, full=full, progress=progress)
        finally:
            if previous is not None:
                previous.close()
    report.seconds = time.perf_counter() - started
    return report


def read_corpus(corpus_dir: Path, memo: ArticleMemo | None = None) -> tuple[list[Article], SyncReport]:
    """The corpus folder's articles, with their edited details, and a report naming the files skipped."""
    if not corpus_dir.is_dir():
        raise ConfigError(f"corpus folder {corpus_dir} does not exist")
    scan = scan_corpus(corpus_dir, memo)
    return metadata.apply(metadata.load(corpus_dir), scan.articles), SyncReport(skipped=scan.skipped)


def _write(
    articles: list[Article],
    store: IndexStore,
    embedder: Embedder,
    previous: IndexVersion | None,
    report: SyncReport,
    *,
    full: bool,
    progress: Progress | None,
) -> str | None:
    """Fill `report` and write a new version if anything changed; its name, or None."""
    if full and report.rebuild_reason is None:
        report.rebuild_reason = "full rebuild requested: re-embedding every passage"
    known = previous.article_states() if previous else {}
    current = {a.article_id: a for a in articles}
    changes = diff({a: state.content_hash for a, state in known.items()}, current)
    report.record(changes, len(current))
    report.passages = sum(len(a.paragraphs) for a in articles)
    if not (changes or report.rebuild_reason):
        return None

    plan = Plan(articles, stamps(current, changes.fresh, known), changes.fresh)
    if previous is not None and report.rebuild_reason is None:
        delta = plan_delta(previous, current, whole=True, articles=len(articles), max_words=embedder.max_words)
        if delta is not None:
            plan = Plan(delta[0], plan.indexed_at, changes.fresh, delta[1])
    return write_articles(plan, store, embedder, report, full=full, progress=progress)


def write_articles(
    plan: Plan,
    store: IndexStore,
    embedder: Embedder,
    report: SyncReport,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> str:
    """Embed the plan's articles (all, or beside a kept base only the delta) and write the version.

    Only sentences are embedded; a passage's vector is the mean of its sentences'. That
    costs one pass over the text (sentences are needed for answers anyway), and retrieval
    ranks the passages it finds by their best sentence (see `retrieval`).

    Fresh articles are checked for near-duplicates; `report` gets the counts."""
    base = plan.base
    passages = [p for article in plan.written for p in passages_of(article, embedder.max_words)]
    spans = [(row, sentence) for row, p in enumerate(passages) for sentence in split_sentences(p.text)]
    texts = [sentence.text for _, sentence in spans]
    cache = VectorCache(store.folder / CACHE)
    sentence_vectors, report.embedded = embed_texts(texts, embedder, cache, full, progress)
    passage_vectors = mean_vectors(sentence_vectors, [row for row, _ in spans], len(passages))
    sentences = [SentenceRecord(i, row, s.start, s.end) for i, (row, s) in enumerate(spans)]
    report.sentences = len(sentences)
    article_ids = [p.article_id for p in passages]
    report.near_duplicates = find_near_duplicates(
        article_ids, passage_vectors, plan.fresh, base.neighbours if base else None
    )
    report.passages = len(passages) + (base.live_base_passages if base else 0)
    report.delta_passages = len(passages) if base else None
    content = VersionContent(
        embedder.model_name, plan.written, plan.indexed_at, passages, passage_vectors, sentences, sentence_vectors
    )
    return store.write(content, base)


def embed_texts(
    texts: list[str], embedder: Embedder, cache: VectorCache, full: bool, progress: Progress | None
) -> tuple[np.ndarray, int]:
    """Vectors for every text; `full` recomputes them all (each distinct text once)."""
    hashes = [text_hash(t) for t in texts]
    if full:
        unique = dict(zip(hashes, texts, strict=True))
        cache.put(embedder.model_name, list(unique), embedder.embed(list(unique.values()), progress))
    vectors, embedded = cache.vectors_for(embedder, texts, hashes, progress)
    return vectors, len(set(hashes)) if full else embedded


def _previous_state(store: IndexStore, model: str) -> tuple[IndexVersion | None, str | None]:
    """The live version (the caller closes it), or why everything must be re-embedded."""
    try:
        version = store.open(mapped=True)
    except IndexMissingError:
        return None, None
    except IndexMismatchError as exc:
        aside = store.set_aside(str(exc))
        return None, f"{exc}; set aside in {aside}, rebuilding from the corpus"
    except IndexCorruptError as exc:
        aside = store.set_aside(str(exc))
        return None, f"the index was damaged ({exc}); set aside in {aside}, rebuilding from the corpus"
    if version.manifest.model == model:
        return version, None
    reason = f"the index was built with model {version.manifest.model!r}"
    version.close()
    aside = store.set_aside(reason)
    return None, f"{reason}; set aside in {aside}, re-embedding every passage with {model!r}"


Neighbours = Callable[[np.ndarray, int], list[list[tuple[str, float]]]]
"""For each vector, up to k (article id, cosine) pairs from passages not held in memory."""


def find_near_duplicates(
    article_ids: list[str], vectors: np.ndarray, candidates: frozenset[str], neighbours: Neighbours | None = None
) -> list[NearDuplicate]:
    """For each candidate article, other articles holding most of its paragraphs.

    Each candidate row is compared with every row in `vectors` (`ann.Within`) and with
    its `neighbours` in the kept base; a row counts for every other article it nearly
    repeats."""
    if not candidates or not len(vectors):
        return []
    rows_of: dict[str, list[int]] = {}
    for row, article_id in enumerate(article_ids):
        if article_id in candidates:
            rows_of.setdefault(article_id, []).append(row)
    within = ann.Within(vectors, NEAR_DUPLICATE_SIMILARITY)
    found: list[NearDuplicate] = []
    for article_id, rows, similar in _searched_in_batches(rows_of, vectors, within):
        matched = [{article_ids[j] for j in hits} for hits in similar]
        if neighbours is not None:
            for row_matches, hits in zip(matched, neighbours(vectors[rows], NEAR_DUPLICATE_NEIGHBOURS), strict=True):
                row_matches.update(other for other, score in hits if score >= NEAR_DUPLICATE_SIMILARITY)
        counts = Counter(other for row_matches in matched for other in row_matches if other != article_id)
        found += [
            NearDuplicate(article_id, other, n / len(rows))
            for other, n in sorted(counts.items())
            if n / len(rows) >= NEAR_DUPLICATE_SHARE
        ]
    return found


def _searched_in_batches(
    rows_of: dict[str, list[int]], vectors: np.ndarray, within: ann.Within
) -> Iterator[tuple[str, list[int], list[np.ndarray]]]:
    """Each article's rows and what `within` finds for them, searched NEAR_DUPLICATE_BATCH
    rows at a time: one search per article cost twice as long at 100k passages, and one
    for all rows would hold every match at once."""
    batch: list[str] = []
    size = 0
    for position, article_id in enumerate(sorted(rows_of)):
        batch.append(article_id)
        size += len(rows_of[article_id])
        if position + 1 < len(rows_of) and size < NEAR_DUPLICATE_BATCH:
            continue
        hits = iter(within.search(vectors[[row for a in batch for row in rows_of[a]]]))
        for done in batch:
            yield done, rows_of[done], [next(hits) for _ in rows_of[done]]
        batch, size = [], 0
