from __future__ import annotations

import pytest

from qa.sentences import split_sentences


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_offsets_point_at_the_sentence() -> None:
    text = "  First one.  Second one!  Third?"
    for sentence in split_sentences(text):
        assert text[sentence.start : sentence.end] == sentence.text
    assert texts(text) == ["First one.", "Second one!", "Third?"]


@pytest.mark.parametrize(
    "text",
    [
        "Defense Secretary Lloyd J. Austin III and Gen. Mark A. Milley briefed Mr. Biden on the options.",
        "The drones hit bases used by the C.I.A. and U.S. Special Operations units.",
        "The strikes were carried out about 1 a.m. Monday local time by a mix of jets.",
        "Rockets hit the U.S. Embassy in Baghdad.",
    ],
)
def test_abbreviations_initials_and_acronyms_do_not_end_sentences(text: str) -> None:
    assert texts(text) == [text]


def test_quotes_close_with_their_sentence() -> None:
    text = "“Congress must be briefed,” said Senator Tim Kaine. “But we need to know more.” Then he left."
    assert texts(text) == [
        "“Congress must be briefed,” said Senator Tim Kaine.",
        "“But we need to know more.”",
        "Then he left.",
    ]


def test_lowercase_after_full_stop_is_not_a_boundary() -> None:
    assert texts("Visit rferl.org for more. It has the story.") == ["Visit rferl.org for more.", "It has the story."]


def test_empty_text_has_no_sentences() -> None:
    assert split_sentences("   ") == []
