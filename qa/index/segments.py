"""Search a version's segments as one index: its base and, after small changes, a delta.

A rebuild that changes little keeps the previous base (hard links, nothing rewritten) and
writes only a delta segment holding the articles added or changed since the base was
written, so adding an article costs the same at 1k passages as at 1M. Base rows of
articles removed or changed since are hidden: FAISS skips them through an ID selector and
keyword search drops them. Rows are numbered across segments (delta rows follow base
rows), so the rest of the package sees one index.

Keyword scores use statistics of both segments together: each segment's stored BM25
scores are rescaled per term by the combined idf over its own, so a new article's rare
name scores as it would after a full rebuild. Hidden rows still count in document
frequencies until the next merge, as deleted documents do in Lucene until segments merge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, NamedTuple

import numpy as np

from qa.index.ann import is_refined
from qa.index.keywords import KeywordHit, KeywordIndex, bm25_idf, top_hits

REMEMBERED = 8_192
"""Texts' terms and terms' idf kept per version: answering one question asks for the same
few dozen sentences' terms and idfs a hundred times, and a version never changes."""


class DenseHit(NamedTuple):
    row: int
    """The passage's row in the version."""
    score: float
    """Cosine similarity to the query."""


@dataclass(frozen=True)
class Segment:
    """One segment's searchable parts; its row r is row r + row_offset of the version."""

    faiss: Any
    keywords: KeywordIndex
    sentence_vectors: np.ndarray
    row_offset: int
    sentence_offset: int
    nprobe: int = 0

    @property
    def rows(self) -> int:
        return int(self.faiss.ntotal)


class Segments:
    """Dense, keyword and sentence-vector access over a base and an optional delta."""

    def __init__(self, segments: Sequence[Segment], hidden_rows: Sequence[int] = ()) -> None:
        if not segments:
            raise ValueError("a version has at least its base segment")
        self._segments = list(segments)
        hidden = np.unique(np.asarray(hidden_rows, dtype=np.int64))
        self._hidden = [
            hidden[(hidden >= s.row_offset) & (hidden < s.row_offset + s.rows)] - s.row_offset for s in self._segments
        ]
        self._documents = sum(s.keywords.documents for s in self._segments)
        self._selectors = [self._selector(h) for h in self._hidden]
        # Cached over the keyword indexes, not bound methods: a cycle through `self` would
        # keep a replaced version's FAISS index and mapped files alive until a full collection.
        self._keywords = tuple(s.keywords for s in self._segments)
        self.terms = lru_cache(maxsize=REMEMBERED)(partial(_terms_of, self._keywords[0]))
        self.idf = lru_cache(maxsize=REMEMBERED)(partial(_idf_over, self._keywords, self._documents))

    @staticmethod
    def _selector(hidden: np.ndarray) -> tuple[Any, ...]:
        """A FAISS selector that skips hidden rows (with the batch it refers to, kept alive)."""
        import faiss

        if not len(hidden):
            return ()
        batch = faiss.IDSelectorBatch(hidden)
        return (faiss.IDSelectorNot(batch), batch)

    @staticmethod
    def _including(rows: np.ndarray) -> tuple[Any, ...]:
        """A FAISS selector that keeps only these rows (the batch is its own keep-alive)."""
        import faiss

        return (faiss.IDSelectorBatch(np.ascontiguousarray(rows, dtype=np.int64)),)

    @staticmethod
    def _parameters(segment: Segment, selector: tuple[Any, ...], nprobe: int | None, every_list: bool = False) -> Any:
        """Search parameters for one segment: its probes (or fewer) and its hidden rows. A
        search limited to some rows probes every list: the rows may sit in any of them."""
        import faiss

        chosen = {"sel": selector[0]} if selector else {}
        if segment.nprobe:
            probes = min(nprobe or segment.nprobe, segment.nprobe)
            if every_list:
                probes = faiss.extract_index_ivf(segment.faiss).nlist
            # faiss's generated stubs omit the keyword constructor that SWIG gives it at run time.
            ivf = faiss.SearchParametersIVF(nprobe=probes, **chosen)  # type: ignore[call-arg]
            if not is_refined(segment.faiss):
                return ivf
            refined: Any = faiss.IndexRefineSearchParameters(  # type: ignore[call-arg]
                k_factor=segment.faiss.k_factor, base_index_params=ivf
            )
            refined.base = ivf  # FAISS does not keep the base parameters alive itself
            return refined
        return faiss.SearchParameters(**chosen) if chosen else None

    @property
    def live_rows(self) -> int:
        return sum(s.rows for s in self._segments) - sum(len(h) for h in self._hidden)

    def dense(
        self, vectors: np.ndarray, k: int, nprobe: int | None = None, only: np.ndarray | None = None
    ) -> list[list[DenseHit]]:
        """For each query row, up to k hits (row, cosine), best first, hidden rows left out.

        `nprobe` lowers an IVF segment's probes for callers that only need the closest
        matches; `only` (live rows) limits the search to those rows. FAISS pads with label -1
        when a segment has fewer than k rows; those are dropped."""
        queries = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
        found: list[list[DenseHit]] = [[] for _ in range(len(queries))]
        for segment, selector in zip(self._segments, self._selectors, strict=True):
            available = segment.rows
            if only is not None:
                mine = only[(only >= segment.row_offset) & (only < segment.row_offset + segment.rows)]
                selector, available = self._including(mine - segment.row_offset), len(mine)
            wanted = min(k, available)
            if wanted < 1:
                continue
            params = self._parameters(segment, selector, nprobe, every_list=only is not None)
            scores, labels = segment.faiss.search(queries, wanted, params=params)
            for hits, row_labels, row_scores in zip(found, labels, scores, strict=True):
                hits += [
                    DenseHit(int(label) + segment.row_offset, float(score))
                    for label, score in zip(row_labels, row_scores, strict=True)
                    if label >= 0
                ]
        return [sorted(hits, key=lambda hit: (-hit.score, hit.row))[:k] for hits in found]

    def sentence_vectors(self, rows: Sequence[int]) -> np.ndarray:
        """Vectors of the given sentence rows, in that order."""
        dimension = self._segments[0].sentence_vectors.shape[1]
        out = np.zeros((len(rows), dimension), dtype=np.float32)
        wanted = np.asarray(rows, dtype=np.int64)
        for segment in self._segments:
            local = wanted - segment.sentence_offset
            mine = (local >= 0) & (local < len(segment.sentence_vectors))
            if mine.any():
                out[mine] = segment.sentence_vectors[local[mine]]
        return out

    def words(self, text: str) -> list[str]:
        return self._segments[0].keywords.words(text)

    def df(self, term: str) -> int:
        return _df_over(self._keywords, term)

    def knows(self, term: str) -> bool:
        return self.df(term) > 0

    def search(self, query: str, k: int, only: np.ndarray | None = None) -> list[KeywordHit]:
        """BM25 over all segments with their combined idf; best rows first; only the rows
        `only` when it is given (the idf stays that of the whole index)."""
        counts = self._segments[0].keywords.query_terms(query)
        hits: list[KeywordHit] = []
        for segment, hidden in zip(self._segments, self._hidden, strict=True):
            own = segment.keywords
            weights = {t: n * self.idf(t) / own.idf(t) for t, n in counts.items() if own.df(t)}
            scores = own.scores(weights)
            if len(scores):
                scores[hidden] = 0.0
            if only is not None and len(scores):
                keep = np.zeros(len(scores), dtype=bool)
                mine = only[(only >= segment.row_offset) & (only < segment.row_offset + len(scores))]
                keep[mine - segment.row_offset] = True
                scores[~keep] = 0.0
            hits += top_hits(scores, k, segment.row_offset)
        return sorted(hits, key=lambda hit: (-hit.score, hit.row))[:k]


def _terms_of(keywords: KeywordIndex, text: str) -> tuple[str, ...]:
    return tuple(keywords.terms(text))


def _df_over(indexes: Sequence[KeywordIndex], term: str) -> int:
    return sum(k.df(term) for k in indexes)


def _idf_over(indexes: Sequence[KeywordIndex], documents: int, term: str) -> float:
    return bm25_idf(_df_over(indexes, term), documents)
