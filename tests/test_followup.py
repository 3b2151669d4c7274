from __future__ import annotations

import pytest

from qa.errors import QueryError
from qa.followup import Turn, contextualize, names_in, parse_history


def test_pronoun_is_replaced_by_the_name_from_the_last_question() -> None:
    history = [Turn("user", "Who is Yair Lapid?"), Turn("assistant", "Israel's foreign minister [1].")]
    assert contextualize("What did he say about the accord?", history) == "What did Yair Lapid say about the accord?"


def test_possessive_becomes_a_possessive_name() -> None:
    history = [Turn("user", "Who is Kenneth McKenzie?")]
    assert contextualize("What is his main concern?", history) == "What is Kenneth McKenzie's main concern?"


def test_several_names_are_appended() -> None:
    history = [Turn("user", "What did Kirby say about Kataib Hezbollah?")]
    assert contextualize("Why did they attack?", history) == "Why did they attack? (Kirby, Kataib Hezbollah)"


def test_short_ellipsis_takes_the_previous_question() -> None:
    history = [Turn("user", "How many troops does the US have in Iraq?")]
    assert contextualize("And in Syria?", history) == "And in Syria? (How many troops does the US have in Iraq?)"


def test_standalone_question_is_unchanged() -> None:
    history = [Turn("user", "Who is Yair Lapid?")]
    question = "Which aircraft carried out the strikes on the militias?"
    assert contextualize(question, history) == question
    assert contextualize("What did he say?", []) == "What did he say?"


def test_names_skip_question_words() -> None:
    assert names_in("Who ordered the killing of Qasem Soleimani in Baghdad?") == ["Qasem Soleimani", "Baghdad"]


def test_history_accepts_messages_and_plain_strings() -> None:
    assert parse_history([{"role": "user", "content": "Hi"}, "Earlier question"]) == [
        Turn("user", "Hi"),
        Turn("user", "Earlier question"),
    ]
    assert parse_history(None) == []


@pytest.mark.parametrize("bad", ["text", [{"role": "system", "content": "x"}], [{"role": "user"}], [3]])
def test_bad_history_is_a_clear_error(bad: object) -> None:
    with pytest.raises(QueryError):
        parse_history(bad)


def test_a_short_question_with_its_own_name_stands_alone() -> None:
    history = [Turn("user", "Which aircraft carried out the strikes?")]
    assert contextualize("Who is Yair Lapid?", history) == "Who is Yair Lapid?"
    assert contextualize("And in Syria?", history) == "And in Syria? (Which aircraft carried out the strikes?)"


def test_a_short_whole_question_is_not_taken_as_a_follow_up() -> None:
    history = [Turn("user", "Who is John Kirby?")]
    assert contextualize("Who ordered the strikes?", history) == "Who ordered the strikes?"
    assert contextualize("Why?", history) == "Why? (Who is John Kirby?)"
    assert contextualize("What about the drones?", history) == "What about the drones? (Who is John Kirby?)"


def test_they_and_it_keep_the_question_and_add_the_names() -> None:
    history = [Turn("user", "Who is John Kirby?")]
    assert contextualize("When did they happen?", history) == "When did they happen? (John Kirby)"


def test_her_as_possessive_and_as_object() -> None:
    history = [Turn("user", "Who is Jen Psaki?")]
    assert contextualize("What is her role?", history) == "What is Jen Psaki's role?"
    assert contextualize("Who appointed her?", history) == "Who appointed Jen Psaki?"
