"""Keep the index in Qdrant, embedded (Qdrant Edge) or on a server: the engine's other Store.

Three kinds of point share one collection, told apart by their `kind` payload:
- article: its record and content hash, what a sync compares;
- passage: text and place, the mean of its sentences' vectors as `dense`, its BM25 term
  weights as the sparse `bm25` vector (Qdrant applies the idf: Modifier.Idf), its stems in
  `terms` (keyword-indexed, so a term's document count is one count request) and its
  sentences' offsets;
- sentence: its vector, which ranks passages by their best sentence and feeds the answer
  model.
Ids are stable hashes of article, passage and sentence ids, so a changed article is
overwritten in place and then its leftover points are deleted: a question asked during a
sync never finds the article missing. Its article point is written last, so a sync that
dies half-way leaves the article looking stale and the next one writes it again.

Fusion, best-sentence ranking and answering are the shared code's (qa.retrieval,
qa.answer), so every store gives the same answers; Qdrant does the dense, sparse and
filtered searches (qa.qdrant.view). Where the points live is the backend's business
(qa.qdrant.edge, qa.qdrant.server): a Qdrant Edge shard or a collection on a Qdrant server.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from qa.articles import Article, ArticleMemo
from qa.errors import IndexMissingError
from qa.index.indexer import SyncReport, embed_texts, read_corpus
from qa.index.keywords import KeywordIndex
from qa.index.plan import diff
from qa.passages import Passage, passages_of, text_hash
from qa.qdrant.points import META_ID, Backend, PointData, Where, point_id, term_index
from qa.qdrant.view import QdrantVersion
from qa.sentences import split_sentences
from qa.vectors import Embedder, Progress, VectorCache, mean_vectors

BM25_K1 = 1.5
BM25_B = 0.75
"""bm25s's (Lucene's) defaults, so keyword scores mean what the folder store's do."""
AVERAGE_TERMS = 30.0
"""Length normalisation needs the average passage length in terms; a collection updated
in place cannot renormalise old points, so it is fixed (news paragraphs run 20-40 terms;
Qdrant's own Bm25 fixes avg_len likewise)."""


def bm25_weights(counts: dict[str, int]) -> dict[str, float]:
    """BM25's term-frequency part per term (Robertson & Zaragoza 2009); idf comes at query time."""
    length = sum(counts.values())
    norm = BM25_K1 * (1 - BM25_B + BM25_B * length / AVERAGE_TERMS)
    return {t: n * (BM25_K1 + 1) / (n + norm) for t, n in counts.items()}


class QdrantStore:
    """A Qdrant collection, created by the first sync (when the model's dimension is known).

    `cache_path` is the vector cache shared with the folder store, so switching stores
    re-embeds nothing already embedded."""

    def __init__(self, backend: Backend, cache_path: Path) -> None:
        self.backend = backend
        self.cache_path = cache_path
        self._lock = threading.RLock()
        self._analyzer = KeywordIndex(None)

    def close(self) -> None:
        """Release the collection (Qdrant Edge: the shard, so another process may open it)."""
        with self._lock:
            self.backend.close()

    def _meta(self) -> dict[str, Any]:
        if not self.backend.exists():
            return {}
        found = self.backend.retrieve([META_ID])
        return found[0].payload if found else {}

    def current_name(self) -> str | None:
        with self._lock:
            return self._meta().get("version")

    def open(self) -> QdrantVersion:
        with self._lock:
            meta = self._meta()
            if not meta:
                raise IndexMissingError("no Qdrant index yet; run `qa index` to build it")
            return QdrantVersion(self.backend, self._lock, meta["version"], meta["model"])

    def sync(
        self,
        corpus_dir: Path,
        embedder: Embedder,
        *,
        full: bool = False,
        progress: Progress | None = None,
        lock_timeout: float = 300.0,
        memo: ArticleMemo | None = None,
    ) -> SyncReport:
        """Bring the collection in line with the corpus folder, embedding only new text."""
        started = time.perf_counter()
        articles, report = read_corpus(corpus_dir, memo)
        with self._lock:
            meta = self._meta()
            if meta and meta["model"] != embedder.model_name:
                report.rebuild_reason = f"the index was built with model {meta['model']!r}"
                self.backend.set_aside(f"model {meta['model']!r}")
                meta = {}
            if full and report.rebuild_reason is None:
                report.rebuild_reason = "full rebuild requested: re-embedding every passage"
            current = {a.article_id: a for a in articles}
            report.record(diff(self._article_hashes(), current), len(current))
            report.passages = sum(len(passages_of(a, embedder.max_words)) for a in articles)
            if meta and not (report.added or report.changed or report.removed or report.rebuild_reason):
                report.seconds = time.perf_counter() - started
                return report
            if not self.backend.exists():
                self.backend.create(embedder.dimension)
            fresh = articles if full else [current[a] for a in sorted({*report.added, *report.changed})]
            self._write(fresh, embedder, report, full, progress)
            if report.removed:
                self.backend.delete(Where(article_ids=report.removed))
            report.version = self._name(current)
            meta_point = PointData(META_ID, {"kind": "meta", "version": report.version, "model": embedder.model_name})
            self.backend.upsert([meta_point])
            self.backend.flush()
        report.seconds = time.perf_counter() - started
        return report

    def update(
        self,
        corpus_dir: Path,
        paths: Sequence[Path],
        embedder: Embedder,
        *,
        progress: Progress | None = None,
        lock_timeout: float = 300.0,
        memo: ArticleMemo | None = None,
    ) -> SyncReport:
        """A sync: comparing content hashes already limits the work to the changed files."""
        return self.sync(corpus_dir, embedder, progress=progress, lock_timeout=lock_timeout, memo=memo)

    def _article_hashes(self) -> dict[str, str]:
        if not self.backend.exists():
            return {}
        return {p.payload["article_id"]: p.payload["content_hash"] for p in self.backend.scroll(Where(kind="article"))}

    def _write(
        self, articles: list[Article], embedder: Embedder, report: SyncReport, full: bool, progress: Progress | None
    ) -> None:
        passages = [p for a in articles for p in passages_of(a, embedder.max_words)]
        spans = [(row, s) for row, p in enumerate(passages) for s in split_sentences(p.text)]
        texts = [s.text for _, s in spans]
        vectors, report.embedded = embed_texts(texts, embedder, VectorCache(self.cache_path), full, progress)
        report.sentences = len(spans)
        means = mean_vectors(vectors, [row for row, _ in spans], len(passages))
        by_passage: dict[int, list[tuple[int, int]]] = {}
        points = []
        for (row, sentence), vector in zip(spans, vectors, strict=True):
            index = len(by_passage.setdefault(row, []))
            by_passage[row].append((sentence.start, sentence.end))
            key = f"{passages[row].passage_id}@{index}"
            payload = {"kind": "sentence", "article_id": passages[row].article_id}
            points.append(PointData(point_id(key), payload, dense=vector.tolist()))
        for row, passage in enumerate(passages):
            points.append(self._passage_point(passage, means[row], by_passage.get(row, [])))
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.backend.upsert(points)
        kept = frozenset(p.id for p in points)
        for article in articles:
            own = point_id("article:" + article.article_id)
            self.backend.delete(Where(article_ids=[article.article_id], except_ids=kept | {own}))
        self.backend.upsert([self._article_point(a, now) for a in articles])

    def _passage_point(self, passage: Passage, vector: np.ndarray, sentences: list[tuple[int, int]]) -> PointData:
        weights = bm25_weights(dict(self._analyzer.query_terms(passage.text)))
        payload = {
            "kind": "passage",
            "article_id": passage.article_id,
            "passage_id": passage.passage_id,
            "paragraph": passage.paragraph,
            "part": passage.part,
            "parts": passage.parts,
            "text": passage.text,
            "page": passage.page,
            "terms": sorted(weights),
            "sentences": [list(s) for s in sentences],
        }
        sparse = {term_index(t): w for t, w in weights.items()}
        return PointData(point_id(passage.passage_id), payload, dense=vector.tolist(), sparse=sparse)

    @staticmethod
    def _article_point(article: Article, indexed_at: str) -> PointData:
        payload = {
            "kind": "article",
            "article_id": article.article_id,
            "path": article.path,
            "title": article.title,
            "display_title": article.display_title,
            "source": article.source,
            "date": article.date,
            "paragraphs": len(article.paragraphs),
            "content_hash": article.content_hash,
            "indexed_at": indexed_at,
            "dropped": json.dumps([asdict(d) for d in article.dropped]),
        }
        return PointData(point_id("article:" + article.article_id), payload)

    @staticmethod
    def _name(articles: dict[str, Article]) -> str:
        """Names the collection's content: the same articles always give the same name."""
        digest = text_hash("".join(f"{a}\0{articles[a].content_hash}\0" for a in sorted(articles)))
        return f"qdrant-{digest[:16]}"
