from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np
import pytest

from qa.engine import Engine
from qa.index import ann
from tests.conftest import write


def clustered(n: int, seed: int = 7, dimension: int = 384) -> np.ndarray:
    """Unit vectors in clusters, as sentence embeddings of related news paragraphs are."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n // 50, dimension))
    points = centres[rng.integers(0, len(centres), n)] + 0.3 * rng.normal(size=(n, dimension))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def test_small_collections_stay_exact_large_ones_use_ivf() -> None:
    assert ann.choose(1000, 384).name == "IndexFlatIP"
    kind = ann.choose(1_000_000, 384)
    assert kind.name == "IVF1000,PQ192x4fs,RFlat"
    assert kind.nprobe == 100, "a tenth of the lists"
    assert ann.choose(100_000, 384).nprobe == ann.NPROBE
    assert ann.choose(1_000_000, 385).name == "IVF1000,Flat", "4-bit codes need an even dimension"


@pytest.mark.parametrize("dimension", [384, 385])
def test_ivf_recall_at_5_against_exact_search(tmp_path: Path, dimension: int) -> None:
    vectors = clustered(30_000, dimension=dimension)
    queries = vectors[::300] + 0.05 * np.random.default_rng(1).normal(size=(100, dimension)).astype(np.float32)
    kind = ann.choose(len(vectors), dimension, flat_limit=1000)

    assert kind.name.startswith("IVF")
    exact = ann.build(vectors, ann.VectorIndexKind("IndexFlatIP"))
    faiss.write_index(ann.build(vectors, kind), str(tmp_path / "ivf.faiss"))
    approximate = ann.open_index(tmp_path / "ivf.faiss", kind)
    _, want = exact.search(queries, 5)
    _, got = approximate.search(queries, 5)
    recall = np.mean([len(set(w) & set(g)) / 5 for w, g in zip(want, got, strict=True)])
    assert recall >= 0.99
    mapped = ann.open_index(tmp_path / "ivf.faiss", kind, mapped=True)
    assert np.array_equal(mapped.search(queries, 5)[1], got)


@pytest.mark.parametrize("flat_limit", [10**9, 10])
def test_deleted_vectors_are_never_found(flat_limit: int) -> None:
    vectors = clustered(5_000)
    kept = np.arange(0, 5_000, 2)
    kind = ann.choose(len(kept), 384, flat_limit=flat_limit)
    index = ann.build(vectors[kept], kind)
    _, labels = index.search(vectors[1::2][:50], 5)
    found = kept[labels[labels >= 0]]
    assert not set(found.tolist()) & set(range(1, 5_000, 2))


def test_engine_answers_from_an_ivf_index(
    corpus: Path, make_engine: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ann, "FLAT_LIMIT", 10)
    for n in range(30):
        write(corpus, f"wire-{n}.txt", f"Report {n}: a ferry named Gull {n} docked at pier {n + 100} in Basra.\n")
    write(corpus, "storm.txt", "A storm destroyed the old harbour bridge in Marlow.\n")
    engine = make_engine(corpus)
    engine.index()
    assert engine.version().manifest.faiss_index.startswith("IVF")
    answer = engine.ask("What destroyed the harbour bridge in Marlow?")
    assert answer.citations[0].article_id == "storm"
    (corpus / "storm.txt").unlink()
    engine.index()
    assert all(r.passage.article_id != "storm" for r in engine.search("harbour bridge Marlow", k=10).results)


@pytest.mark.parametrize("exact_limit", [10_000, 100])
def test_within_finds_the_near_copies_exact_search_finds(exact_limit: int) -> None:
    vectors = clustered(3_000)
    rng = np.random.default_rng(3)
    copies = vectors[:300] + 0.01 * rng.normal(size=(300, vectors.shape[1])).astype(np.float32)
    rows = np.vstack([vectors, copies / np.linalg.norm(copies, axis=1, keepdims=True)])
    scores = rows @ rows.T
    expected = [set(np.flatnonzero(row >= 0.92 + 1e-5)) for row in scores]
    allowed = [set(np.flatnonzero(row >= 0.92 - 1e-5)) for row in scores]
    found = [set(hits.tolist()) for hits in ann.Within(rows, 0.92, exact_limit).search(rows)]
    assert sum(len(e - f) for e, f in zip(expected, found, strict=True)) <= 3
    assert all(f <= a for a, f in zip(allowed, found, strict=True)), "never a pair below the threshold"
    assert found[0] >= {0, 3_000}, "a row and its near copy find each other"


def test_within_keeps_a_score_equal_to_the_threshold() -> None:
    row = np.array([[0.6, 0.8]], dtype=np.float32)
    assert ann.Within(row, float(row[0] @ row[0])).search(row)[0].tolist() == [0]
