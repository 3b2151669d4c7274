"""Answers on a tiny corpus of three reports of one storm: they agree on the bridge and
disagree on the death toll."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.cite import Answer
from qa.engine import Engine
from qa.followup import Turn
from qa.settings import Settings
from qa.vectors import Embedder
from tests.conftest import write

REPORTS = {
    "harbor-times.txt": """Storm floods coastal town of Marlow

A severe storm flooded the coastal town of Marlow on Tuesday night, officials said.

The storm destroyed the old harbour bridge, which had stood since 1902.

Local police said at least twelve people were killed in the flooding.

Mayor Ellen Brooks said the town would rebuild the harbour within two years.
""",
    "river-post.txt": """Marlow counts the cost of Tuesday's storm

Floodwater swept through Marlow late on Tuesday after a storm hit the coast.

The old harbour bridge, built in 1902, was destroyed by the storm, residents said.

The regional health ministry said three people were killed.

Schools in the district will stay closed until Friday.
""",
    "coast-daily.txt": """Marlow bridge lost in storm

The historic harbour bridge in Marlow collapsed during the storm on Tuesday.

Engineers said the bridge from 1902 could not be saved.

Fishermen said the storm was the worst they had seen in forty years.
""",
}


@pytest.fixture(scope="module")
def storm(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Engine:
    folder = tmp_path_factory.mktemp("storm")
    for name, text in REPORTS.items():
        write(folder / "corpus", name, text)
    engine = Engine(Settings(corpus_dir=folder / "corpus", index_dir=folder / "index"), embedder=embedder)
    engine.index()
    return engine


def markers(answer: Answer) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}


def test_restatements_in_other_articles_corroborate_one_sentence(storm: Engine) -> None:
    answer = storm.ask("What happened to the harbour bridge?")
    assert answer.answered
    assert answer.answer.count("1902") == 1
    assert "[1][2]" in answer.answer
    assert "(2 sources agree)" in answer.answer
    assert answer.agreeing[0] == 2
    first = {c.n: c.article_id for c in answer.citations}
    assert {first[n] for n in answer.sentences[0].cites} == {"harbor-times", "river-post"}


def test_different_figures_are_reported_as_a_conflict_citing_each_side(storm: Engine) -> None:
    answer = storm.ask("How many people were killed in the storm?")
    assert answer.conflict
    assert answer.answer.startswith("Reports differ.")
    assert "twelve" in answer.answer
    assert "three" in answer.answer
    assert {c.article_id for c in answer.citations} == {"harbor-times", "river-post"}
    assert {s.answer_span for s in answer.sentences} == {"twelve", "three"}


def test_sources_giving_the_same_answer_span_agree_and_the_span_comes_first(storm: Engine) -> None:
    answer = storm.ask("When was the harbour bridge built?")
    assert answer.answered
    assert not answer.conflict
    assert answer.sentences[0].answer_span == "1902"
    assert answer.answer.startswith("1902. ")
    assert answer.sentences[0].agreeing >= 2
    data = answer.to_dict()
    assert data["sentences"][0]["answer_span"] == "1902"
    assert data["confidence"] == answer.confidence >= storm.answer_model.threshold


def test_off_topic_question_abstains_and_lists_related_passages(storm: Engine) -> None:
    answer = storm.ask("Who won the football match on Sunday?")
    assert not answer.answered
    assert answer.confidence < storm.answer_model.threshold
    assert answer.answer.startswith("The articles don't say")
    assert answer.citations == []
    assert answer.related
    assert markers(answer) == set()


def test_a_name_no_article_mentions_is_named_in_the_abstention(storm: Engine) -> None:
    answer = storm.ask("What did Mayor Johnson say about the flood?")
    assert not answer.answered
    assert "“Johnson”" in answer.answer


def test_follow_up_resolves_the_pronoun_from_history(storm: Engine) -> None:
    history = [Turn("user", "Who is Ellen Brooks?"), Turn("assistant", "Ellen Brooks is the mayor. [1]")]
    answer = storm.ask("What did she say the town would rebuild?", history=history)
    assert answer.searched_for == "What did Ellen Brooks say the town would rebuild?"
    assert answer.answered
    assert "rebuild the harbour" in answer.answer


def test_every_marker_has_a_citation_and_every_quote_sits_at_its_span(storm: Engine) -> None:
    for question in ("What happened to the harbour bridge?", "How many people were killed in the storm?"):
        answer = storm.ask(question)
        assert markers(answer) == {c.n for c in answer.citations}
        assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
        for citation in answer.citations:
            start, end = citation.span
            assert citation.text[start:end] == citation.quote
            assert citation.quote in citation.text


def test_same_question_same_index_same_answer(storm: Engine) -> None:
    first = storm.ask("When was the bridge built?").to_dict()
    assert storm.ask("When was the bridge built?").to_dict() == first


def test_answers_follow_an_added_article(storm: Engine, tmp_path: Path) -> None:
    write(storm.settings.corpus_dir, "late-wire.txt", "Rescue teams pulled a fisherman named Tom Alder from the sea.\n")
    try:
        storm.index()
        answer = storm.ask("Who did rescue teams pull from the sea?")
        assert answer.answered
        assert "Tom Alder" in answer.answer
        assert answer.citations[0].article_id == "late-wire"
    finally:
        (storm.settings.corpus_dir / "late-wire.txt").unlink()
        storm.index()


def test_a_sentence_restating_one_already_shown_is_not_shown_again(
    corpus: Path, make_engine: Callable[..., Engine]
) -> None:
    write(
        corpus,
        "bridge.txt",
        "Marlow bridge lost in storm\n\n"
        "The old harbour bridge in Marlow, built in 1902, was destroyed by the storm on Tuesday.\n\n"
        "Residents gathered on the shore on Wednesday. "
        "The storm on Tuesday destroyed the old harbour bridge, which was built in 1902.\n\n"
        "Engineers will inspect the harbour walls next week.\n",
    )
    write(
        corpus,
        "school.txt",
        "Schools close after storm\n\nSchools in the district will stay closed until Friday after the storm.\n\n"
        "The council said repairs to the school roofs would take a month.\n",
    )
    engine = make_engine(corpus)
    engine.index()
    answer = engine.ask("What happened to the harbour bridge?")
    assert answer.answered
    assert len(answer.sentences) == 1
    assert "destroyed" in answer.answer


def test_figures_that_count_different_things_are_no_conflict(corpus: Path, make_engine: Callable[..., Engine]) -> None:
    write(
        corpus,
        "a.txt",
        "Strikes on the border\n\nThe strikes on Sunday hit three facilities near the border, officials said.\n",
    )
    write(
        corpus,
        "b.txt",
        "Border strikes\n\nThe strikes on Sunday dropped seven 500-pound bombs near the border, officials said.\n",
    )
    write(
        corpus, "c.txt", "Border toll\n\nThe strikes on Sunday killed five fighters near the border, officials said.\n"
    )
    engine = make_engine(corpus)
    engine.index()
    answer = engine.ask("How big were the strikes on Sunday?")
    assert answer.answered
    assert not answer.conflict
