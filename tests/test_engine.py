from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.engine import MAX_QUERY_CHARS, Engine, check_query
from qa.errors import ArticleNotFoundError, QueryError
from qa.filters import Filter
from qa.followup import Turn
from tests.conftest import write

STORY = "Strikes on militias\n\nThe United States struck three sites on Sunday.\n\nOfficials said all pilots returned."


def test_first_search_builds_a_missing_index(corpus: Path, make_engine: Callable[..., Engine]) -> None:
    write(corpus, "a.txt", STORY)
    engine = make_engine(corpus)
    assert engine.store.current_name() is None
    assert engine.search("pilots", k=1).results[0].passage.article_id == "a"
    assert engine.store.current_name() is not None


@pytest.mark.parametrize("query", ["", "   \n\t", "\x00\x01\x02"])
def test_empty_questions_are_refused(query: str) -> None:
    with pytest.raises(QueryError, match="empty"):
        check_query(query)


def test_huge_question_is_refused_with_the_limit() -> None:
    with pytest.raises(QueryError, match=f"{MAX_QUERY_CHARS:,}"):
        check_query("why " * 30_000)


def test_control_characters_are_removed() -> None:
    assert check_query("Who\x00 ordered\x1b the strikes?\n") == "Who ordered the strikes?"


def test_k_out_of_range_is_refused(seed_engine: Engine) -> None:
    with pytest.raises(QueryError, match="between 1 and"):
        seed_engine.search("strikes", k=0)


def test_non_english_question_gets_results(seed_engine: Engine) -> None:
    assert seed_engine.search("¿Quién ordenó los ataques aéreos?", k=3).results


def test_follow_up_uses_the_history(seed_engine: Engine) -> None:
    response = seed_engine.search(
        "What did he say about the accord?", k=3, history=[Turn("user", "Who is Yair Lapid?")]
    )
    assert response.searched_for == "What did Yair Lapid say about the accord?"
    assert any("serious reservations" in r.passage.text for r in response.results)


def test_running_engine_picks_up_a_rebuild_from_elsewhere(corpus: Path, make_engine: Callable[..., Engine]) -> None:
    write(corpus, "a.txt", STORY)
    serving = make_engine(corpus)
    serving.warm_up()
    write(corpus, "b.txt", "Border post\n\nSeven precision-guided munitions hit the border post in February.")
    make_engine(corpus).index()
    assert serving.search("precision-guided munitions", k=1).results[0].passage.article_id == "b"


def test_corrupt_index_at_start_is_set_aside_and_rebuilt(corpus: Path, make_engine: Callable[..., Engine]) -> None:
    write(corpus, "a.txt", STORY)
    make_engine(corpus).index()
    engine = make_engine(corpus)
    (engine.store.versions / engine.store.current_name() / "passages.sqlite").write_bytes(b"junk" * 100)
    assert engine.search("pilots", k=1).results
    assert list((engine.store.folder / "corrupt").iterdir())


def test_a_vector_file_damaged_in_place_is_never_used(corpus: Path, make_engine: Callable[..., Engine]) -> None:
    """Same size, one byte flipped: FAISS would read it without complaint; the checksum does not."""
    write(corpus, "a.txt", STORY)
    make_engine(corpus).index()
    engine = make_engine(corpus)
    path = engine.store.versions / str(engine.store.current_name()) / "vectors.faiss"
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    assert engine.search("pilots", k=1).results
    (aside,) = (engine.store.folder / "corrupt").iterdir()
    assert "does not match its checksum" in (aside / "REASON.txt").read_text()
    assert (aside / "vectors.faiss").read_bytes() == bytes(data), "set aside as it was, never deleted"


def test_a_filter_answers_from_the_chosen_articles_only(seed_engine: Engine) -> None:
    question = "Which aircraft carried out the strikes?"
    assert {c.article_id for c in seed_engine.ask(question).citations} >= {"000_79f4fbd8b7a31498"}
    only = "001_7c084e74566a1192"
    answer = seed_engine.ask(question, where=Filter.parse([only]))
    assert {c.article_id for c in answer.citations + answer.related} == {only}
    assert "F-15 and F-16 fighter jets" in answer.answer
    results = seed_engine.search("aircraft", k=5, where=Filter.parse(source="rfe/rl")).results
    assert {r.passage.article_id for r in results} == {"003_f229a520fc9a1687"}


def test_show_unknown_article_suggests_ids(seed_engine: Engine) -> None:
    with pytest.raises(ArticleNotFoundError, match="did you mean 003_f229a520fc9a1687"):
        seed_engine.show("003")


def test_show_gives_paragraphs_and_dropped_lines(seed_engine: Engine) -> None:
    view = seed_engine.show("000_79f4fbd8b7a31498")
    assert view.article.title == "U.S. carries out air strikes against Iran-backed militia in Iraq, Syria"
    assert [p.paragraph for p in view.passages] == list(range(1, view.article.paragraphs + 1))
    assert {d.text for d in view.dropped} >= {"gsg", "Read more..."}


def test_context_gives_the_paragraphs_around_a_passage(seed_engine: Engine) -> None:
    passages = seed_engine.show("004_3c879346b788183e").passages
    middle = passages[5].passage_id
    context = seed_engine.context(middle, around=2)
    assert [p.passage_id for p in context.passages] == [p.passage_id for p in passages[3:8]]
    assert context.passages[context.focus].passage_id == middle
    assert seed_engine.context(passages[0].passage_id).focus == 0
    with pytest.raises(ArticleNotFoundError):
        seed_engine.context("004_3c879346b788183e#999")


def test_status_reports_model_and_size(seed_engine: Engine) -> None:
    status = seed_engine.status()
    assert status.model == "all-MiniLM-L6-v2"
    assert len(status.articles) == 5
    assert status.passages == 88
    assert status.index_bytes > 0


def test_questions_during_rebuilds_never_fail(seed_corpus: Path, make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(seed_corpus)
    engine.index()
    errors: list[BaseException] = []
    answers = []
    done = threading.Event()

    def keep_asking() -> None:
        while not done.is_set():
            try:
                answers.append(engine.ask("Which aircraft carried out the strikes?"))
            except BaseException as exc:
                errors.append(exc)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        for n in range(3):
            write(seed_corpus, f"wire-{n}.txt", f"Wire report {n}: divers found a ferry named Gull {n} near Basra.\n")
            engine.index()
    finally:
        done.set()
        asker.join()
    assert not errors
    assert answers
    assert all(a.answered and "F-15" in a.answer for a in answers)
