from __future__ import annotations

from qa.claims import asks_for_quantity, claim_of, disagree, is_polar


def test_figures_in_words_and_digits_but_not_years_or_designators() -> None:
    assert claim_of("At least five fighters were killed.").figures == {5.0}
    assert claim_of("About 2,500 troops remain.").figures == {2500.0}
    assert claim_of("F-15 jets struck in 2021.").figures == frozenset()


def test_figures_count_only_near_the_words_asked_about() -> None:
    def asked(word: str) -> bool:
        return word.startswith("killed")

    claim = claim_of("Two bridges fell in the north of the old town, and three people were killed.", asked)
    assert claim.figures == {3.0}


def test_denials() -> None:
    assert claim_of("It did not disclose whether anyone was killed.").denies
    assert claim_of("It is too early to know.").denies
    assert not claim_of("Five were killed.").denies


def test_question_kinds() -> None:
    assert asks_for_quantity("How many people died?")
    assert not asks_for_quantity("Who died?")
    assert is_polar("Were there casualties?")
    assert not is_polar("Who reported casualties?")


def test_disagreement_on_figures_and_on_denials() -> None:
    question = "How many people were killed?"
    assert disagree(question, "Twelve people were killed.", "Three people were killed.")
    assert not disagree(question, "Twelve people were killed.", "Police said twelve were killed.")
    assert disagree(question, "Officials did not say whether anyone was killed.", "Five people were killed.")
    assert disagree("Were people killed?", "Nobody was killed.", "Five people were killed.")
    assert not disagree("Who was killed?", "Nobody was killed.", "Five people were killed.")
