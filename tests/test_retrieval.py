from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from qa.engine import Engine
from qa.retrieval import RRF_K, rank_by_best_sentence, reciprocal_rank_fusion
from tests.conftest import write


def test_rrf_rewards_agreement_between_rankers() -> None:
    fused = reciprocal_rank_fusion([[1, 2, 3], [2, 4, 5]])
    assert [item for item, _ in fused] == [2, 1, 4, 3, 5]
    assert fused[0][1] == pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 1))


def test_rrf_is_deterministic_on_ties() -> None:
    assert [item for item, _ in reciprocal_rank_fusion([[5, 4], [4, 5]])] == [4, 5]
    assert reciprocal_rank_fusion([]) == []


def test_faiss_padding_labels_never_become_passages(corpus: Path, make_engine: Callable[..., Engine]) -> None:
    write(corpus, "a.txt", "Headline\n\nOnly one paragraph here.\n\nAnd a second one.")
    engine = make_engine(corpus)
    engine.index()
    version = engine.version()
    query = engine.embedder.embed(["paragraph"])[0]
    hits = version.dense_search(query, 10)
    assert len(hits) == 2
    assert all(row >= 0 for row, _ in hits)
    assert len(engine.search("paragraph", k=10).results) == 2


def test_passage_vectors_are_the_mean_of_their_sentences(corpus: Path, make_engine: Callable[..., Engine]) -> None:
    write(corpus, "a.txt", "Headline\n\nThe jets flew at night. The pilots returned safely.\n\nA lone sentence.")
    engine = make_engine(corpus)
    engine.index()
    version = engine.version()
    first, second = engine.embedder.embed(["The jets flew at night.", "The pilots returned safely."])
    expected = (first + second) / np.linalg.norm(first + second)
    hits = dict(version.dense_search(expected, 2))
    row = next(p.row for p in version.article_passages("a") if p.text.startswith("The jets"))
    assert hits[row] == pytest.approx(1.0, abs=1e-5)


def test_dense_hits_rank_by_their_best_sentence(corpus: Path, make_engine: Callable[..., Engine]) -> None:
    write(
        corpus,
        "a.txt",
        "Headline\n\nThe weather was mild. Markets were calm. Fighter jets bombed the depot at dawn.\n\n"
        "Jets and bombs were mentioned in the budget debate about aircraft.",
    )
    engine = make_engine(corpus)
    engine.index()
    version = engine.version()
    query = engine.embedder.embed(["Which jets bombed the depot?"])[0]
    hits = version.dense_search(query, 2)
    ranked = rank_by_best_sentence(version, query, hits)
    depot = next(p.row for p in version.article_passages("a") if "depot" in p.text)
    assert hits[0][0] != depot, "the depot's mild and calm sentences dilute its mean vector"
    assert ranked[0][0] == depot
    assert ranked[0][1] > dict(hits)[depot]
    assert {row for row, _ in ranked} == {row for row, _ in hits}
    assert rank_by_best_sentence(version, query, []) == []


def test_aircraft_question_finds_the_f15_f16_passage_first(seed_engine: Engine) -> None:
    results = seed_engine.search("Which aircraft carried out the strikes?", k=5).results
    assert "F-15" in results[0].passage.text
    assert "F-16" in results[0].passage.text
    assert sum("F-15" in r.passage.text for r in results) >= 2


def test_results_carry_their_scores(seed_engine: Engine) -> None:
    results = seed_engine.search("Kataib Hezbollah facilities", k=5).results
    assert results[0].dense is not None
    assert results[0].bm25 is not None
    assert 0 < results[-1].score <= results[0].score <= 1
    assert all(r.title for r in results)


def test_exact_names_reach_the_top_through_bm25(seed_engine: Engine) -> None:
    results = seed_engine.search("Qasim Muslih", k=3).results
    assert "Qasim Muslih" in results[0].passage.text


def test_same_query_same_results(seed_engine: Engine) -> None:
    first = seed_engine.search("Who ordered the strikes?", k=5).to_dict()
    assert seed_engine.search("Who ordered the strikes?", k=5).to_dict() == first


def test_scores_are_cosine_similarities(seed_engine: Engine) -> None:
    result = seed_engine.search("drone attacks on US personnel", k=1).results[0]
    vector = seed_engine.embedder.embed(["drone attacks on US personnel"])[0]
    passage = seed_engine.embedder.embed([result.passage.text])[0]
    assert result.dense == pytest.approx(float(np.dot(vector, passage)), abs=1e-4)
