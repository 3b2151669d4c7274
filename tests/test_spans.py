"""Candidate answer spans and SQuAD-style answer comparison."""

from __future__ import annotations

from qa.index.keywords import KeywordIndex
from qa.spans import SPAN_FEATURES, candidate_spans, normalize_answer, same_answer, same_count, span_features

VOCABULARY = KeywordIndex.build(["The Pentagon said 2,500 troops remain in Iraq.", "Officials met in Tampa."])


def texts(sentence: str) -> list[tuple[str, str]]:
    return [(s.text, s.kind) for s in candidate_spans(sentence)]


def test_figures_dates_and_names_with_their_joining_words() -> None:
    spans = texts("The Pentagon said 2,500 troops remain in Iraq, Lloyd Austin and Mark Milley said on June 27, 2021.")
    assert ("2,500", "number") in spans
    assert ("2,500 troops", "number") in spans
    assert ("Lloyd Austin and Mark Milley", "name") in spans
    assert ("June 27, 2021", "date") in spans
    assert ("Tampa, Florida", "name") in texts("The command is based in Tampa, Florida.")


def test_every_span_is_a_slice_of_its_sentence() -> None:
    sentence = "About 2,500 U.S. troops are in Iraq since 2014, officials in Baghdad said."
    for span in candidate_spans(sentence):
        assert sentence[span.start : span.end] == span.text


def test_span_features_mark_the_wanted_type_and_repeats_of_the_question() -> None:
    question = "How many troops remain in Iraq?"
    sentence = "The Pentagon said 2,500 troops remain in Iraq."
    spans = candidate_spans(sentence)
    rows = span_features(question, sentence, spans, VOCABULARY)
    assert rows.shape == (len(spans), len(SPAN_FEATURES))
    by_text = {s.text: row for s, row in zip(spans, rows, strict=True)}
    wanted = SPAN_FEATURES.index("wanted_number")
    repeats = SPAN_FEATURES.index("repeats_question")
    assert by_text["2,500"][wanted] == 1.0
    assert by_text["Iraq"][wanted] == 0.0
    assert by_text["Iraq"][repeats] == 1.0


def test_answers_compare_after_squad_normalisation() -> None:
    assert normalize_answer("The U.S. Army!") == "us army"
    assert same_answer("twelve people", "twelve")
    assert not same_answer("twelve people", "three people")
    assert not same_answer("", "three")


def test_a_lowercase_month_name_is_a_verb_not_a_date() -> None:
    found = texts("Officials said strikes may march on into May 2021.")
    assert [s for s in found if s[1] == "date"] == [("May 2021", "date")]


def test_figures_disagree_only_when_they_count_the_same_thing() -> None:
    police, ministry = "Police said twelve people were killed.", "The ministry said three people died."
    assert same_count(police, "twelve", ministry, "three", VOCABULARY)
    assert same_count("It sent 2,500 troops.", "2,500 troops", "Some 3,000 troops left.", "3,000", VOCABULARY)
    bombs = "Jets dropped seven 500-pound bombs."
    assert not same_count("They hit three facilities.", "three facilities", bombs, "seven 500", VOCABULARY)


def test_a_price_keeps_its_currency_and_a_name_stops_at_a_weekday() -> None:
    assert ("$799", "number") in texts("Apple said prices would start at $799.")
    spans = texts("The prize was awarded to Annie Ernaux on Thursday, the academy said.")
    assert ("Annie Ernaux", "name") in spans
    assert ("Thursday", "date") in spans
