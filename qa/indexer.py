"""Sync the index with the corpus folder, embedding only passages whose text is new."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from qa.articles import ArticleMemo, SkippedFile, scan_corpus
from qa.errors import ConfigError, IndexCorruptError, IndexMismatchError, IndexMissingError
from qa.passages import passages_of, text_hash
from qa.sentences import split_sentences
from qa.store import IndexStore
from qa.vectors import Embedder, Progress, VectorCache
from qa.writer import SentenceRecord, VersionContent

log = logging.getLogger(__name__)

NEAR_DUPLICATE_SIMILARITY = 0.92
"""Cosine at which two paragraphs say the same thing in nearly the same words."""
NEAR_DUPLICATE_SHARE = 0.6
"""Share of an article's paragraphs found in another article to call it a near-duplicate."""


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
    """Texts (passages and sentences) whose vectors were computed rather than taken from the cache."""
    skipped: list[SkippedFile] = field(default_factory=list)
    near_duplicates: list[NearDuplicate] = field(default_factory=list)
    rebuild_reason: str | None = None
    version: str | None = None
    seconds: float = 0.0

    @property
    def up_to_date(self) -> bool:
        return self.version is None


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
    if not corpus_dir.is_dir():
        raise ConfigError(f"corpus folder {corpus_dir} does not exist")
    scan = scan_corpus(corpus_dir, memo)
    report = SyncReport(skipped=scan.skipped)
    with store.lock(lock_timeout):
        store.prune()
        previous, report.rebuild_reason = _previous_state(store, embedder.model_name)
        if full and report.rebuild_reason is None:
            report.rebuild_reason = "full rebuild requested: re-embedding every passage"
        old_hashes = {a.article_id: (a.content_hash, a.indexed_at) for a in previous}
        current = {a.article_id: a for a in scan.articles}
        for article_id, article in current.items():
            if article_id not in old_hashes:
                report.added.append(article_id)
            elif old_hashes[article_id][0] != article.content_hash:
                report.changed.append(article_id)
        report.removed = sorted(set(old_hashes) - set(current))
        report.unchanged = len(current) - len(report.added) - len(report.changed)
        if not (report.added or report.changed or report.removed or report.rebuild_reason):
            report.passages = sum(len(a.paragraphs) for a in scan.articles)
            report.seconds = time.perf_counter() - started
            return report

        now = datetime.now(UTC).isoformat(timespec="seconds")
        fresh = set(report.added) | set(report.changed)
        indexed_at = {a: now if a in fresh else old_hashes[a][1] for a in current}
        passages = [p for article in scan.articles for p in passages_of(article, embedder.max_words)]
        spans = [(row, sentence) for row, p in enumerate(passages) for sentence in split_sentences(p.text)]
        texts = [p.text for p in passages] + [sentence.text for _, sentence in spans]
        vectors, report.embedded = _embed(texts, embedder, VectorCache(store.folder / "cache.sqlite"), full, progress)
        sentences = [SentenceRecord(i, row, s.start, s.end) for i, (row, s) in enumerate(spans)]
        report.sentences = len(sentences)
        report.passages = len(passages)
        passage_vectors, sentence_vectors = vectors[: len(passages)], vectors[len(passages) :]
        report.near_duplicates = find_near_duplicates([p.article_id for p in passages], passage_vectors, fresh)
        report.version = store.write(
            VersionContent(
                embedder.model_name, scan.articles, indexed_at, passages, passage_vectors, sentences, sentence_vectors
            )
        )
    report.seconds = time.perf_counter() - started
    return report


def _embed(
    texts: list[str], embedder: Embedder, cache: VectorCache, full: bool, progress: Progress | None
) -> tuple[np.ndarray, int]:
    """Vectors for every text; `full` recomputes them all (each distinct text once)."""
    hashes = [text_hash(t) for t in texts]
    if full:
        unique = dict(zip(hashes, texts, strict=True))
        cache.put(embedder.model_name, list(unique), embedder.embed(list(unique.values()), progress))
    vectors, embedded = cache.vectors_for(embedder, texts, hashes, progress)
    return vectors, len(set(hashes)) if full else embedded


def _previous_state(store: IndexStore, model: str) -> tuple[list, str | None]:
    """Articles of the live version, or why everything must be re-embedded."""
    try:
        version = store.open()
    except IndexMissingError:
        return [], None
    except IndexMismatchError as exc:
        aside = store.set_aside(str(exc))
        return [], f"{exc}; set aside in {aside}, rebuilding from the corpus"
    except IndexCorruptError as exc:
        aside = store.set_aside(str(exc))
        return [], f"the index was damaged ({exc}); set aside in {aside}, rebuilding from the corpus"
    try:
        if version.manifest.model == model:
            return version.articles(), None
        reason = f"the index was built with model {version.manifest.model!r}"
    finally:
        version.close()
    aside = store.set_aside(reason)
    return [], f"{reason}; set aside in {aside}, re-embedding every passage with {model!r}"


def find_near_duplicates(article_ids: list[str], vectors: np.ndarray, candidates: set[str]) -> list[NearDuplicate]:
    """For each candidate article, other articles holding most of its paragraphs.

    Rows must be grouped by article (as passages_of yields them); each candidate row is
    compared with every row, and the best match per other article is taken.
    """
    if not candidates or not len(vectors):
        return []
    starts = [0] + [i for i in range(1, len(article_ids)) if article_ids[i] != article_ids[i - 1]]
    owners = [article_ids[s] for s in starts]
    found: list[NearDuplicate] = []
    for article_id in sorted(candidates):
        rows = [i for i, a in enumerate(article_ids) if a == article_id]
        if not rows:
            continue
        best = np.maximum.reduceat(vectors[rows] @ vectors.T, starts, axis=1)
        shares = (best >= NEAR_DUPLICATE_SIMILARITY).mean(axis=0)
        for other, share in zip(owners, shares, strict=True):
            if other != article_id and share >= NEAR_DUPLICATE_SHARE:
                found.append(NearDuplicate(article_id, other, float(share)))
    return found
