"""Features of question-sentence pairs: question kinds, morphology-aware coverage, answer types."""

from __future__ import annotations

import numpy as np

from qa.features import (
    ANSWERABLE_FEATURES,
    SENTENCE_FEATURES,
    SentenceInput,
    answerable_features,
    coverage,
    matched,
    question_kind,
    sentence_features,
    types_added,
)
from qa.index.keywords import KeywordIndex

VOCABULARY = KeywordIndex.build(
    [
        "Israeli jets struck targets in Syria on Monday.",
        "In total there are 352 votes in the chamber.",
        "A bill needs 176 votes to pass.",
        "The weather was mild.",
    ]
)


def column(name: str) -> int:
    return SENTENCE_FEATURES.index(name)


def test_question_kinds_from_question_words() -> None:
    assert question_kind("How many votes are needed to pass a bill?") == "quantity"
    assert question_kind("when did the strikes happen") == "when"
    assert question_kind("In what year was the bridge built?") == "when"
    assert question_kind("Who ordered the strikes?") == "who"
    assert question_kind("Where is Tampa?") == "where"
    assert question_kind("Did the White House comment?") == "polar"
    assert question_kind("Tell me about the strikes") == "other"


def test_demonyms_and_places_match_by_stem_prefix() -> None:
    israeli = VOCABULARY.terms("Israeli")[0]
    israel = VOCABULARY.terms("Israel's")[0]
    assert israeli != israel
    assert matched(israel, {israeli})
    assert not matched("war", {"warsaw"})
    weights = {israel: 2.0, "syria": 1.0}
    assert coverage(weights, {israeli, "syria"}) == 1.0


def test_a_number_the_question_does_not_hold_is_an_added_figure() -> None:
    question_words = {"how", "many", "votes", "are", "needed"}
    assert types_added("A bill needs 176 votes to pass.", question_words)["number"]
    assert not types_added("Votes are needed.", question_words)["number"]
    assert types_added("It was built in June 1902.", set())["date"]
    assert types_added("It was ordered by President Biden.", set())["name"]


def test_the_answering_sentence_has_the_wanted_type_and_the_restatement_lacks_novelty() -> None:
    question = "How many votes are needed to pass a bill?"
    candidates = [
        SentenceInput("In total there are 352 votes in the chamber.", 0.6, 0),
        SentenceInput("A bill needs 176 votes to pass.", 0.55, 1),
        SentenceInput("How many votes are needed to pass a bill?", 0.9, 2),
    ]
    rows = sentence_features(question, candidates, VOCABULARY)
    assert rows.shape == (3, len(SENTENCE_FEATURES))
    assert rows[1, column("wants_number_has")] == 1.0
    assert rows[2, column("wants_number_lacks")] == 1.0
    assert rows[2, column("is_question")] == 1.0
    assert rows[2, column("novelty")] < rows[1, column("novelty")]


def test_no_candidates_give_no_rows() -> None:
    assert sentence_features("Who?", [], VOCABULARY).shape == (0, len(SENTENCE_FEATURES))


def answerable(question: str, texts: list[str], probabilities: list[float] | None = None) -> dict[str, float]:
    """The answerability features, each candidate its own passage, equally likely unless told."""
    candidates = [SentenceInput(t, 0.5, n) for n, t in enumerate(texts)]
    rows = sentence_features(question, candidates, VOCABULARY)
    p = np.full(len(texts), 0.5) if probabilities is None else np.array(probabilities)
    values = answerable_features(question, candidates, rows, p, VOCABULARY)
    return dict(zip(ANSWERABLE_FEATURES, values, strict=True))


def test_the_rarest_question_word_no_candidate_has_is_measured_against_the_rarest_asked() -> None:
    texts = ["In total there are 352 votes in the chamber.", "A bill needs 176 votes to pass."]
    assert answerable("How many votes does a bill need?", texts)["rarest_missing"] == 0.0
    other = answerable("How many votes does a treaty need?", texts)
    assert other["rarest_missing"] == 1.0, "the rarest word asked, 'treaty', is in no candidate"
    common = answerable("How many votes does a bill need?", ["A bill needs 176 to pass."])
    assert 0.0 < common["rarest_missing"] < 1.0, "'votes' is missing but commoner than 'bill'"


def test_a_figure_of_the_question_no_candidate_states_is_missing() -> None:
    texts = ["A bill needs 176 votes to pass."]
    assert answerable("Did the bill get 176 votes?", texts)["number_missing"] == 0.0
    assert answerable("Did the bill get 180 votes?", texts)["number_missing"] == 1.0
    assert answerable("Did the bill pass?", texts)["number_missing"] == 0.0
    assert answerable("Did the bill get 180 votes?", [])["number_missing"] == 1.0


def test_what_the_best_sentences_passage_lacks_is_measured_apart_from_the_others() -> None:
    texts = ["A bill needs 176 votes to pass.", "A treaty was signed in 1990."]
    named = answerable("How many votes does a treaty need?", texts, [0.9, 0.1])
    assert named["rarest_missing"] == 0.0, "some candidate has every word"
    assert named["passage_rarest_missing"] == 1.0, "the best sentence's passage lacks 'treaty'"
    assert named["passage_missing"] > named["missing"]
