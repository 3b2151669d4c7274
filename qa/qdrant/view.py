"""Read a Qdrant collection as the Searchable view answering reads (qa.searchable)."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from qa.articles import Dropped
from qa.index.format import ArticleRecord, PassageRecord, SentenceRecord
from qa.index.keywords import KeywordHit, KeywordIndex, bm25_idf
from qa.index.segments import REMEMBERED, DenseHit
from qa.qdrant.points import Backend, Where, point_id, term_index


def _passages(only: np.ndarray | None = None, article_ids: Sequence[str] | None = None) -> Where:
    ids = frozenset(int(r) for r in only) if only is not None else None
    return Where(kind="passage", ids=ids, article_ids=article_ids)


class QdrantVersion:
    """The collection as answering reads it; `lock` is the store's, held for each request."""

    def __init__(self, backend: Backend, lock: threading.RLock, name: str, model: str) -> None:
        self.name = name
        self._model = model
        self._backend = backend
        self._lock = lock
        self.segments = QdrantKeywords(backend, lock)

    @property
    def model(self) -> str:
        return self._model

    @property
    def passage_count(self) -> int:
        return self.segments.documents

    def dense_search(self, vector: np.ndarray, k: int, only: np.ndarray | None = None) -> list[DenseHit]:
        with self._lock:
            found = self._backend.nearest(vector.tolist(), k, _passages(only))
        return [DenseHit(hit.id, hit.score) for hit in found]

    def passage_rows(self, article_ids: Sequence[str]) -> np.ndarray:
        with self._lock:
            found = self._backend.scroll(_passages(article_ids=article_ids))
        return np.array(sorted(p.id for p in found), dtype=np.int64)

    def _retrieve(self, ids: Sequence[int], vectors: bool = False) -> list[Any]:
        with self._lock:
            return self._backend.retrieve(ids, vectors=vectors)

    def passages(self, rows: Sequence[int]) -> list[PassageRecord]:
        found = {r.id: _passage(r.id, r.payload) for r in self._retrieve(rows)}
        return [found[int(row)] for row in rows]

    def sentences(self, passage_rows: Sequence[int]) -> list[SentenceRecord]:
        """In reading order: by article, paragraph and part, then within the passage."""
        records = sorted(
            self._retrieve(passage_rows),
            key=lambda r: (r.payload["article_id"], r.payload["paragraph"], r.payload["part"]),
        )
        return [
            SentenceRecord(point_id(f"{r.payload['passage_id']}@{i}"), r.id, start, end)
            for r in records
            for i, (start, end) in enumerate(r.payload["sentences"])
        ]

    def sentence_vectors(self, rows: Sequence[int]) -> np.ndarray:
        found = {r.id: r.dense for r in self._retrieve(rows, vectors=True)}
        return np.array([found[int(row)] for row in rows], dtype=np.float32).reshape(len(rows), -1)

    def articles(self) -> list[ArticleRecord]:
        with self._lock:
            found = self._backend.scroll(Where(kind="article"))
        return sorted((_article(p.payload) for p in found), key=lambda a: a.article_id)

    def _article_payload(self, article_id: str) -> dict[str, Any] | None:
        found = self._retrieve([point_id("article:" + article_id)])
        return found[0].payload if found else None

    def article(self, article_id: str) -> ArticleRecord | None:
        payload = self._article_payload(article_id)
        return _article(payload) if payload else None

    def display_title(self, article_id: str) -> str:
        payload = self._article_payload(article_id)
        return payload["display_title"] if payload else article_id

    def article_passages(self, article_id: str) -> list[PassageRecord]:
        with self._lock:
            found = self._backend.scroll(_passages(article_ids=[article_id]))
        return sorted((_passage(p.id, p.payload) for p in found), key=lambda p: (p.paragraph, p.part))

    def dropped(self, article_id: str) -> list[Dropped]:
        payload = self._article_payload(article_id)
        return [Dropped(**d) for d in json.loads(payload["dropped"])] if payload else []

    def disk_bytes(self) -> int:
        return self._backend.disk_bytes()

    def close(self) -> None:
        """The store owns the collection; a view holds nothing of its own."""


class QdrantKeywords:
    """BM25 through the collection's sparse vectors, and the vocabulary features weigh words by."""

    def __init__(self, backend: Backend, lock: threading.RLock) -> None:
        self._backend = backend
        self._lock = lock
        self._analyzer = KeywordIndex(None)
        self._documents: int | None = None
        self.terms = lru_cache(maxsize=REMEMBERED)(self._terms)
        self.idf = lru_cache(maxsize=REMEMBERED)(self._idf)
        self.df = lru_cache(maxsize=REMEMBERED)(self._df)

    def _terms(self, text: str) -> tuple[str, ...]:
        return tuple(self._analyzer.terms(text))

    def words(self, text: str) -> list[str]:
        return self._analyzer.words(text)

    @property
    def documents(self) -> int:
        if self._documents is None:
            with self._lock:
                self._documents = self._backend.count(_passages())
        return self._documents

    def _df(self, term: str) -> int:
        with self._lock:
            return self._backend.count(Where(kind="passage", term=term))

    def knows(self, term: str) -> bool:
        return self.df(term) > 0

    def _idf(self, term: str) -> float:
        return bm25_idf(self.df(term), self.documents)

    def search(self, query: str, k: int, only: np.ndarray | None = None) -> list[KeywordHit]:
        counts = self._analyzer.query_terms(query)
        if not counts:
            return []
        sparse = {term_index(t): float(n) for t, n in counts.items()}
        with self._lock:
            found = self._backend.nearest(sparse, k, _passages(only))
        hits = [KeywordHit(hit.id, hit.score) for hit in found if hit.score > 0]
        return sorted(hits, key=lambda hit: (-hit.score, hit.row))


def _passage(row: int, p: dict[str, Any]) -> PassageRecord:
    return PassageRecord(
        int(row), p["passage_id"], p["article_id"], p["paragraph"], p["part"], p["parts"], p["text"], p["page"]
    )


def _article(p: dict[str, Any]) -> ArticleRecord:
    return ArticleRecord(
        p["article_id"],
        p["path"],
        p["title"],
        p["display_title"],
        p["source"],
        p["date"],
        p["paragraphs"],
        p["content_hash"],
        p["indexed_at"],
    )
