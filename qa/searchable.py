"""What answering, search and browsing read from an index, whichever store keeps it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from qa.articles import Dropped
from qa.index.format import ArticleRecord, PassageRecord, SentenceRecord
from qa.index.keywords import KeywordHit
from qa.index.segments import DenseHit


class Keywords(Protocol):
    """A version's keyword side: BM25 search and the vocabulary features weigh words by."""

    @property
    def terms(self) -> Callable[[str], Sequence[str]]:
        """Stemmed content words (cached: answering asks for the same sentences' terms often)."""
        ...

    def words(self, text: str) -> list[str]: ...

    @property
    def idf(self) -> Callable[[str], float]: ...

    def df(self, term: str) -> int: ...

    def knows(self, term: str) -> bool: ...

    def search(self, query: str, k: int, only: np.ndarray | None = None) -> list[KeywordHit]: ...


class Searchable(Protocol):
    """One unchanging view of a store: what answering, search and browsing read."""

    name: str
    """Names this view; an answer records it (index_version)."""

    @property
    def model(self) -> str: ...

    @property
    def passage_count(self) -> int: ...

    @property
    def segments(self) -> Keywords:
        """Its keyword side (the folder store's base and delta segments, seen as one)."""
        ...

    def dense_search(self, vector: np.ndarray, k: int, only: np.ndarray | None = None) -> list[DenseHit]: ...

    def passage_rows(self, article_ids: Sequence[str]) -> np.ndarray: ...

    def passages(self, rows: Sequence[int]) -> list[PassageRecord]: ...

    def sentences(self, passage_rows: Sequence[int]) -> list[SentenceRecord]: ...

    def sentence_vectors(self, rows: Sequence[int]) -> np.ndarray: ...

    def articles(self) -> list[ArticleRecord]: ...

    def article(self, article_id: str) -> ArticleRecord | None: ...

    def display_title(self, article_id: str) -> str: ...

    def article_passages(self, article_id: str) -> list[PassageRecord]: ...

    def dropped(self, article_id: str) -> list[Dropped]: ...

    def disk_bytes(self) -> int: ...

    def close(self) -> None: ...
