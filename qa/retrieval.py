"""Hybrid search: dense (FAISS inner product) and BM25 rankings fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.index.format import PassageRecord
from qa.index.segments import DenseHit
from qa.searchable import Searchable

RRF_K = 60
"""Cormack, Clarke & Büttcher (SIGIR 2009), "Reciprocal Rank Fusion outperforms Condorcet
and individual rank learning methods": k=60 damps the weight of the very top ranks so
that one ranker's first place cannot outvote agreement between rankers."""

CANDIDATES_PER_RESULT = 4
MIN_CANDIDATES = 20


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Fuse ranked id lists: score(d) = sum over lists of 1 / (k + rank of d), rank from 1.

    Ties break by id so the same inputs always give the same order.
    """
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def rank_by_best_sentence(version: Searchable, query_vector: np.ndarray, hits: Sequence[DenseHit]) -> list[DenseHit]:
    """Re-rank dense hits by their best sentence's cosine, ties by row.

    A passage's own vector is the mean of its sentences', which blurs a one-sentence
    answer among its neighbours; scoring a passage by its best part is MaxP (Dai & Callan,
    SIGIR 2019, "Deeper Text Understanding for IR with Contextual Neural Language
    Modeling"), and finer retrieval units help dense retrievers (Chen et al. 2023,
    "Dense X Retrieval"). The mean vectors still pick the candidates.
    """
    if not hits:
        return []
    sentences = version.sentences([row for row, _ in hits])
    cosines = version.sentence_vectors([s.row for s in sentences]) @ query_vector
    best: dict[int, float] = {}
    for sentence, cosine in zip(sentences, cosines, strict=True):
        best[sentence.passage_row] = max(best.get(sentence.passage_row, -1.0), float(cosine))
    rescored = [DenseHit(hit.row, best.get(hit.row, hit.score)) for hit in hits]
    return sorted(rescored, key=lambda hit: (-hit.score, hit.row))


@dataclass(frozen=True)
class SearchResult:
    passage: PassageRecord
    title: str
    score: float
    """Fused score scaled to 0..1: 1 means first in both rankings."""
    dense: float | None
    """Cosine similarity of the query to the passage's best sentence, if the dense ranking found it."""
    bm25: float | None
    """BM25 score, if the passage shares terms with the query."""


def hybrid_search(
    version: Searchable,
    query: str,
    query_vector: np.ndarray,
    k: int,
    per_ranker: int = 0,
    only: np.ndarray | None = None,
) -> list[SearchResult]:
    """Top-k passages by fused rank, then any of each ranker's top `per_ranker` not yet in;
    among the passage rows `only`, when given (a filter).

    Fusion favours passages both rankers like; a passage only BM25 finds (a rare name
    the vectors miss) can still hold the answer, so answering asks for `per_ranker` > 0.
    """
    pool = max(k * CANDIDATES_PER_RESULT, MIN_CANDIDATES)
    dense = rank_by_best_sentence(version, query_vector, version.dense_search(query_vector, pool, only))
    keyword = [(hit.row, hit.score) for hit in version.segments.search(query, pool, only)]
    fused = reciprocal_rank_fusion([[row for row, _ in dense], [row for row, _ in keyword]])
    chosen = {row for row, _ in fused[:k]}
    extra = [row for ranking in (dense, keyword) for row, _ in ranking[:per_ranker] if row not in chosen]
    fused = fused[:k] + [(row, score) for row, score in fused[k:] if row in extra]
    if not fused:
        return []
    best_possible = 2.0 / (RRF_K + 1)
    dense_by_row, keyword_by_row = dict(dense), dict(keyword)
    records = version.passages([row for row, _ in fused])
    titles = {a: version.display_title(a) for a in {record.article_id for record in records}}
    return [
        SearchResult(
            passage=record,
            title=titles.get(record.article_id, record.article_id),
            score=round(score / best_possible, 6),
            dense=dense_by_row.get(record.row),
            bm25=keyword_by_row.get(record.row),
        )
        for record, (_, score) in zip(records, fused, strict=True)
    ]
