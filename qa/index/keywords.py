"""BM25 keyword search over passage texts (bm25s, Lucene scoring, English stemming).

Exact names and figures ("F-15", "Kataib Hezbollah", "2,500") are where dense vectors
are weakest; BM25 catches them and reciprocal rank fusion merges both lists.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

_WORD = re.compile(r"(?u)\b\w\w+\b")
"""bm25s's default token pattern, so our terms match its vocabulary."""
_QUANTIFIERS = frozenset({"many", "much"})
"""Question words bm25s's list keeps ("how many"); they name no content."""


class KeywordHit(NamedTuple):
    row: int
    score: float


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


class KeywordIndex:
    """Build with `build`, persist with `save`, reopen with `load`; search with `search`."""

    def __init__(self, retriever: Any | None) -> None:
        from bm25s.stopwords import STOPWORDS_EN_PLUS

        self._retriever = retriever
        self._stem = _stemmer()
        # bm25s keeps its stop words in a tuple; answering filters every candidate sentence.
        self._ignored = frozenset(STOPWORDS_EN_PLUS) | _QUANTIFIERS
        if retriever is None:
            self._vocabulary: dict[str, int] = {}
            self._postings = np.zeros(0, dtype=np.int64)
            self._documents = 0
        else:
            self._vocabulary = retriever.vocab_dict
            self._postings = np.diff(retriever.scores["indptr"])
            self._documents = int(retriever.scores["num_docs"])

    def terms(self, text: str) -> list[str]:
        """Stemmed content words, as the index sees them (no stop or question words)."""
        words = [w for w in _WORD.findall(text.lower()) if w not in self._ignored]
        return self._stem.stemWords(words)

    def words(self, text: str) -> list[str]:
        """Every stemmed word in order, stop words included: for matching phrases."""
        return self._stem.stemWords(_WORD.findall(text.lower()))

    @property
    def documents(self) -> int:
        return self._documents

    def df(self, term: str) -> int:
        """How many passages contain the term."""
        column = self._vocabulary.get(term)
        return int(self._postings[column]) if column is not None and column < len(self._postings) else 0

    def knows(self, term: str) -> bool:
        """Whether any passage contains the term."""
        return self.df(term) > 0

    def idf(self, term: str) -> float:
        """BM25's idf (Robertson & Spärck Jones); a term no passage has gets the highest."""
        return bm25_idf(self.df(term), self._documents)

    @classmethod
    def build(cls, texts: Sequence[str]) -> KeywordIndex:
        """An empty corpus gives an index that finds nothing (bm25s cannot index nothing)."""
        import bm25s

        if not texts:
            return cls(None)
        retriever = bm25s.BM25()
        tokens = bm25s.tokenize(list(texts), stopwords="en", stemmer=_stemmer(), show_progress=False)
        retriever.index(tokens, show_progress=False)
        return cls(retriever)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self._retriever is not None:
            self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        """Score arrays are memory-mapped: opening stays cheap however large the index."""
        import bm25s

        if not folder.is_dir():
            raise FileNotFoundError(f"keyword index folder {folder} is missing")
        if not any(folder.iterdir()):
            return cls(None)
        return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False))

    def query_terms(self, query: str) -> Counter[str]:
        """The query's terms as bm25s tokenizes them, with how often each occurs."""
        import bm25s

        return Counter(
            bm25s.tokenize([query], stopwords="en", stemmer=self._stem, return_ids=False, show_progress=False)[0]
        )

    def scores(self, weights: Mapping[str, float]) -> np.ndarray:
        """Per-row sum of each term's stored BM25 score times its weight.

        bm25s stores idf × term-frequency part per (term, row); a weight of
        count × other_idf / own_idf rescores a term with another collection's idf."""
        if self._retriever is None:
            return np.zeros(0, dtype=np.float32)
        stored = self._retriever.scores
        data, indices, indptr = stored["data"], stored["indices"], stored["indptr"]
        scores = np.zeros(self._documents, dtype=np.float32)
        for term, weight in weights.items():
            column = self._vocabulary.get(term)
            if column is not None and column + 1 < len(indptr):
                start, end = indptr[column], indptr[column + 1]
                scores[indices[start:end]] += weight * data[start:end]
        return scores

    def search(self, query: str, k: int) -> list[KeywordHit]:
        """Best rows first; rows that share no term with the query are never returned."""
        return top_hits(self.scores(self.query_terms(query)), k)


def bm25_idf(df: int, documents: int) -> float:
    """Lucene's BM25 idf, as bm25s computes it: ln(1 + (N − df + 0.5) / (df + 0.5))."""
    return math.log(1 + (documents - df + 0.5) / (df + 0.5))


def top_hits(scores: np.ndarray, k: int, offset: int = 0) -> list[KeywordHit]:
    """The k best positive scores, best first, ties by row; rows are shifted by `offset`."""
    k = min(k, len(scores))
    if k < 1:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((top, -scores[top]))]
    return [KeywordHit(int(row) + offset, float(scores[row])) for row in top if scores[row] > 0]
