"""The QED evaluation set's swapped questions: answerable ones made unanswerable by their paragraph."""

from __future__ import annotations

import random

import qed

from qa.index.keywords import KeywordIndex

PARAGRAPHS = [
    "The Eiffel Tower was completed in 1889 for the World's Fair in Paris.",
    "The Golden Gate Bridge opened in 1937 across the strait in San Francisco.",
    "Mount Everest is the highest mountain above sea level.",
]
VOCABULARY = KeywordIndex.build(PARAGRAPHS)
DONORS = ["how tall is mount everest", "when did the golden gate bridge open"]


def test_a_swapped_question_loses_a_word_or_figure_its_paragraph_has() -> None:
    have = set(VOCABULARY.terms(PARAGRAPHS[0]))
    for seed in range(20):
        question = "when was the eiffel tower completed in 1889"
        swapped = qed.swap_question(question, PARAGRAPHS[0], DONORS, VOCABULARY, random.Random(seed))
        assert swapped
        assert swapped != question
        lost = set(swapped.split()) ^ set(question.split())
        assert len(lost) == 2, "exactly one word or figure is replaced"
        added = (set(swapped.split()) - set(question.split())).pop()
        assert added not in PARAGRAPHS[0]
        assert not set(VOCABULARY.terms(added)) & have


def test_a_figure_is_swapped_for_a_nearby_one_the_paragraph_does_not_state() -> None:
    swaps = {
        qed.swap_question("what happened in 1889", PARAGRAPHS[0], [], VOCABULARY, random.Random(seed))
        for seed in range(10)
    }
    years = {int(s.split()[-1]) for s in swaps if s.split()[-1].isdigit()}
    assert years
    assert all(0 < abs(y - 1889) <= qed.MAX_FIGURE_SHIFT for y in years)


def test_a_question_sharing_nothing_with_its_paragraph_is_not_swapped() -> None:
    assert qed.swap_question("who sang yesterday", PARAGRAPHS[2], DONORS, VOCABULARY, random.Random(0)) == ""
