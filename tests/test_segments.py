from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from qa.index import ann
from qa.index.keywords import KeywordIndex
from qa.index.segments import Segment, Segments
from tests.test_ann import clustered

BASE_TEXTS = [
    "The United States struck three militia sites near the border.",
    "Officials said all pilots returned safely from the mission.",
    "Militias launched drone attacks on bases in Iraq since April.",
    "Negotiators met in Vienna to revive the nuclear accord.",
]
DELTA_TEXTS = [
    "Kataib Hezbollah vowed revenge for the strikes near Qaim.",
    "Drone attacks on bases continued through July.",
]


def segments(vectors: np.ndarray, base_rows: int, kind: ann.VectorIndexKind, hidden: list[int]) -> Segments:
    """A base of the first `base_rows` vectors and a flat delta of the rest; sentences = passages."""
    base, delta = vectors[:base_rows], vectors[base_rows:]
    texts = [f"passage {i}" for i in range(len(vectors))]
    return Segments(
        [
            Segment(ann.build(base, kind), KeywordIndex.build(texts[:base_rows]), base, 0, 0, kind.nprobe),
            Segment(
                ann.build(delta, ann.VectorIndexKind("IndexFlatIP")),
                KeywordIndex.build(texts[base_rows:]),
                delta,
                base_rows,
                base_rows,
            ),
        ],
        hidden,
    )


@pytest.mark.parametrize("flat_limit", [10**9, 1000], ids=["flat", "ivf"])
def test_dense_search_over_base_and_delta_matches_exact_search_over_live_rows(flat_limit: int) -> None:
    vectors = clustered(6_000)
    hidden = list(range(0, 5_000, 3))
    kind = ann.choose(5_000, 384, flat_limit=flat_limit)
    found = segments(vectors, 5_000, kind, hidden)
    live = np.setdiff1d(np.arange(len(vectors)), hidden)
    exact = ann.build(vectors[live], ann.VectorIndexKind("IndexFlatIP"))
    queries = vectors[::60] + 0.05 * np.random.default_rng(1).normal(size=(100, 384)).astype(np.float32)
    _, want = exact.search(queries, 5)
    got = found.dense(queries, 5)
    assert not {row for hits in got for row, _ in hits} & set(hidden), "a hidden row was found"
    recall = np.mean([len(set(live[w]) & {row for row, _ in g}) / 5 for w, g in zip(want, got, strict=True)])
    assert recall == 1.0 if kind.name == "IndexFlatIP" else recall >= 0.99
    assert found.live_rows == len(live)
    assert all(scores == sorted(scores, reverse=True) for scores in ([s for _, s in hits] for hits in got))


@pytest.mark.parametrize("flat_limit", [10**9, 1000], ids=["flat", "ivf"])
def test_search_limited_to_some_rows_finds_exactly_their_best(flat_limit: int) -> None:
    vectors = clustered(6_000)
    kind = ann.choose(5_000, 384, flat_limit=flat_limit)
    found = segments(vectors, 5_000, kind, [])
    only = np.array([7, 1234, 2048, 4999, 5001, 5500], dtype=np.int64)
    query = vectors[100]
    (hits,) = found.dense(query, 4, only=only)
    want = only[np.argsort(-(vectors[only] @ query))][:4]
    assert [row for row, _ in hits] == list(want)
    keyword_rows = {hit.row for hit in found.search("passage 1234 5500 3", 10, only=only)}
    assert keyword_rows <= set(only.tolist())
    assert {1234, 5500} <= keyword_rows


def test_dense_search_asks_each_segment_for_no_more_than_it_has() -> None:
    vectors = clustered(100)
    found = segments(vectors, 98, ann.VectorIndexKind("IndexFlatIP"), [0])
    (hits,) = found.dense(vectors[:1], 200)
    assert len(hits) == 99
    assert all(row >= 0 for row, _ in hits)


def test_sentence_vectors_come_from_the_segment_holding_each_row() -> None:
    vectors = clustered(100)
    found = segments(vectors, 60, ann.VectorIndexKind("IndexFlatIP"), [])
    np.testing.assert_array_equal(found.sentence_vectors([99, 0, 60, 59]), vectors[[99, 0, 60, 59]])


def keyword_segments(hidden: list[int]) -> Segments:
    dimension = 4
    parts = []
    for offset, texts in ((0, BASE_TEXTS), (len(BASE_TEXTS), DELTA_TEXTS)):
        vectors = np.eye(len(texts), dimension, dtype=np.float32)
        flat = ann.build(vectors, ann.VectorIndexKind("IndexFlatIP"))
        parts.append(Segment(flat, KeywordIndex.build(texts), vectors, offset, offset))
    return Segments(parts, hidden)


def test_keyword_statistics_span_both_segments() -> None:
    combined = keyword_segments([])
    whole = KeywordIndex.build(BASE_TEXTS + DELTA_TEXTS)
    for word in ("drone", "kataib", "vienna", "strikes"):
        (term,) = whole.terms(word)
        assert combined.idf(term) == pytest.approx(whole.idf(term))
        assert combined.knows(term)
    assert not combined.knows("zebra")


def test_keyword_search_ranks_across_segments_and_skips_hidden_rows() -> None:
    combined = keyword_segments([])
    whole = KeywordIndex.build(BASE_TEXTS + DELTA_TEXTS)
    for query in ("Kataib Hezbollah revenge", "drone attacks on bases", "nuclear accord Vienna"):
        assert combined.search(query, 1)[0].row == whole.search(query, 1)[0].row
    assert {hit.row for hit in combined.search("drone attacks on bases", 5)} == {2, 5}
    hiding = keyword_segments([2])
    assert [hit.row for hit in hiding.search("drone attacks on bases", 5)] == [5]


def test_a_dropped_version_is_freed_at_once_after_answering() -> None:
    """Its caches must not tie it in a cycle: a replaced version holds a FAISS index and mapped files."""
    found = segments(clustered(100), 60, ann.VectorIndexKind("IndexFlatIP"), [])
    found.idf(found.terms("militia sites")[0])
    freed = weakref.ref(found)
    collecting = gc.isenabled()
    gc.disable()
    try:
        del found
        assert freed() is None
    finally:
        if collecting:
            gc.enable()
