from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.engine import Engine
from qa.errors import ConfigError
from qa.evaluate import (
    Outcome,
    Question,
    contains_answer,
    format_table,
    is_support,
    load_questions,
    misses,
    normalize,
    run_systems,
    score,
    scratch_engine,
)
from tests.conftest import write

JETS = Question("Q1", "fact", "Which jets?", answer_all=[["F-15"], ["F-16"]], support=[("000", "F-15 and F-16")])
NONE = Question("Q2", "abstain", "Capital of Australia?")


def test_normalize_folds_case_quotes_dashes_and_spaces() -> None:
    assert normalize("Kata’ib  Hezbollah — “Iran”\u00a0") == 'kata\'ib hezbollah - "iran"'


def test_support_needs_the_article_prefix_and_the_phrase() -> None:
    assert is_support(JETS, "000_abc", "The F-15  and F-16 jets")
    assert not is_support(JETS, "001_abc", "The F-15 and F-16 jets")
    assert not is_support(JETS, "000_abc", "The F-15 jets")


def test_answer_needs_one_string_from_every_group() -> None:
    assert contains_answer(JETS, "f-16s and f-15s")
    assert not contains_answer(JETS, "F-15 only")
    assert not contains_answer(NONE, "anything")


def test_scores_over_a_handful_of_outcomes() -> None:
    right = Outcome(JETS, "F-15 and F-16", True, [("000", "F-15 and F-16 jets"), ("004", "unrelated")], [])
    wrong = Outcome(JETS, "F-15", True, [("000", "F-15 and F-16 jets")], [("000", "F-15 and F-16 jets")])
    abstained = Outcome(NONE, "The articles don't say.", False, [], [])
    scores = score([right, wrong, abstained])
    assert scores.recall_at_5 == 0.5
    assert scores.accuracy == 0.5
    assert scores.citation_precision == 0.75
    assert scores.abstention == 1.0
    assert scores.false_abstention == 0.0
    assert misses([right, wrong, abstained]) == [wrong]
    assert score([abstained]).accuracy is None
    assert "-" in format_table({"corpus-qa": score([abstained])}, [NONE])


def test_bad_question_files_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "q.jsonl", '{"id": "A", "kind": "fact", "question": "Q?"}\n{"id": "B"}\n')
    with pytest.raises(ConfigError, match=r"q\.jsonl:2"):
        load_questions([path])
    with pytest.raises(ConfigError, match="cannot read"):
        load_questions([tmp_path / "missing.jsonl"])


def test_new_article_is_scored_on_a_scratch_copy(seed_engine: Engine, tmp_path: Path) -> None:
    article = write(
        tmp_path, "late.txt", "Rescue teams pulled a fisherman named Tom Alder from the Tigris on Friday.\n"
    )
    question = {"id": "N1", "kind": "fact", "question": "Who was pulled from the Tigris?", "answer_all": [["Alder"]]}
    questions = load_questions([write(tmp_path, "n.jsonl", json.dumps(question))])
    before = seed_engine.version().name
    with scratch_engine(seed_engine, [article]) as scratch:
        outcomes = run_systems(scratch, questions)
        assert scratch.version().article("late") is not None
    assert score(outcomes["corpus-qa"]).accuracy == 1.0
    assert set(outcomes) == {"corpus-qa", "dense top-1", "BM25 top-1"}
    assert seed_engine.version().name == before
    assert not (seed_engine.settings.corpus_dir / "late.txt").exists()
