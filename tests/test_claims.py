from __future__ import annotations

from qa.claims import denies, disagree, is_polar


def test_denials() -> None:
    assert denies("It did not disclose whether anyone was killed.")
    assert denies("It is too early to know.")
    assert not denies("Five were killed.")


def test_denials_count_only_near_the_words_asked_about() -> None:
    def asked(word: str) -> bool:
        return word.startswith("casualt")

    sentence = (
        "The official, who was not authorized to speak publicly, said the strikes went well "
        "and hit every target, with casualties among the militants."
    )
    assert not denies(sentence, asked)
    assert denies("There were no casualties.", asked)


def test_question_kinds() -> None:
    assert is_polar("Were there casualties?")
    assert not is_polar("Who reported casualties?")


def test_disagreement_is_a_denial_against_an_assertion_on_a_yes_no_question() -> None:
    assert disagree("Were people killed?", "Nobody was killed.", "Five people were killed.")
    assert not disagree("Were people killed?", "Five people were killed.", "Police said twelve were killed.")
    assert not disagree("Who was killed?", "Nobody was killed.", "Five people were killed.")
