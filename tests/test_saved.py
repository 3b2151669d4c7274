from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from qa.cite import Answer, Citation, Sentence
from qa.errors import QAError
from qa.saved import ConversationNotFoundError, ConversationStore


def answer(question: str) -> Answer:
    text = "Before. F-16 jets struck. After."
    cite = Citation(1, "a", "Title", "Reuters", "2021-06-27", 2, "a#2", text, "F-16 jets struck.", (8, 25), 0.5)
    return Answer(question, question, "F-16 jets struck. [1]", True, [cite], [], sentences=[Sentence(text, [1], 1)])


def test_a_conversation_comes_back_with_its_sources(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    first = [answer("Which aircraft?")]
    conversation = store.save(None, first)
    assert store.save(conversation, [*first, answer("Who flew them?")]) == conversation
    reopened = ConversationStore(tmp_path).load(conversation)
    assert [a.question for a in reopened] == ["Which aircraft?", "Who flew them?"]
    assert reopened[0] == first[0]
    assert reopened[0].citations[0].span == (8, 25)
    (saved,) = store.recent()
    assert (saved.title, saved.turns) == ("Which aircraft?", 2)


def test_list_rename_and_delete(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    older = store.save(None, [answer("First question " * 20)])
    newer = store.save(None, [answer("Second")])
    assert [c.conversation_id for c in store.recent()] == [newer, older]
    assert store.recent()[1].title.endswith("…")
    store.rename(older, "  Strikes   timeline ")
    assert store.recent()[0].title == "Strikes timeline"
    store.delete(older)
    assert [c.conversation_id for c in store.recent()] == [newer]
    with pytest.raises(ConversationNotFoundError):
        store.load(older)
    with pytest.raises(ConversationNotFoundError):
        store.rename(older, "x")
    with pytest.raises(QAError, match="cannot be empty"):
        store.rename(newer, "  ")


def test_a_damaged_file_is_set_aside_not_deleted(tmp_path: Path) -> None:
    (tmp_path / "conversations.sqlite").write_bytes(b"not a database" * 100)
    store = ConversationStore(tmp_path)
    assert store.recent() == []
    assert [p.name.split(".corrupt-")[0] for p in tmp_path.glob("*.corrupt-*")] == ["conversations.sqlite"]


def test_an_unreadable_saved_conversation_is_a_clear_error(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    conversation = store.save(None, [answer("Which aircraft?")])
    with sqlite3.connect(tmp_path / "conversations.sqlite") as db:
        db.execute("UPDATE conversations SET answers = ? WHERE id = ?", ('[{"question": 1}]', conversation))
    with pytest.raises(QAError, match="cannot be read"):
        store.load(conversation)
    assert [c.conversation_id for c in store.recent()] == [conversation]
