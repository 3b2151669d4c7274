"""Saved conversations: kept in SQLite beside the index, listed, renamed, reopened, deleted.

An analyst comes back to a line of questioning the next day, after a restart, and wants
the answers with their sources as they were: each turn is stored as the `qa ask --json`
object it produced, so reopening needs no new search and shows the same citations even
if the corpus has changed since (the answer records its index version).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from qa.cite import Answer
from qa.errors import QAError
from qa.index.format import CONVERSATIONS
from qa.shelf import connect_cache

FILE = CONVERSATIONS
TITLE_CHARS = 80


class ConversationNotFoundError(QAError):
    """No saved conversation has the requested id (it may have been deleted)."""


@dataclass(frozen=True)
class SavedConversation:
    conversation_id: str
    title: str
    updated: str
    """ISO time of the last answer or rename, UTC."""
    turns: int


class ConversationStore:
    """One SQLite file; a connection per call, so threads of the app can share it."""

    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / FILE

    def _connect(self) -> sqlite3.Connection:
        return connect_cache(
            self.path,
            "conversations (id TEXT PRIMARY KEY, title TEXT, updated TEXT, answers TEXT)",
            "saved conversations",
        )

    def save(self, conversation_id: str | None, answers: Sequence[Answer]) -> str:
        """Store the conversation's answers (a new one when `conversation_id` is None) and
        return its id; a new conversation is titled by its first question."""
        if not answers:
            raise QAError("a conversation needs at least one answer to be saved")
        payload = json.dumps([a.to_dict() for a in answers], ensure_ascii=False)
        with closing(self._connect()) as db, db:
            if conversation_id is not None:
                updated = db.execute(
                    "UPDATE conversations SET answers = ?, updated = ? WHERE id = ?",
                    (payload, _now(), conversation_id),
                )
                if updated.rowcount:
                    return conversation_id
            conversation_id = uuid.uuid4().hex
            db.execute(
                "INSERT INTO conversations VALUES (?, ?, ?, ?)",
                (conversation_id, _title(answers[0].question), _now(), payload),
            )
        return conversation_id

    def recent(self) -> list[SavedConversation]:
        """Saved conversations, the most recently used first."""
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT id, title, updated, json_array_length(answers) FROM conversations ORDER BY updated DESC, id"
            ).fetchall()
        return [SavedConversation(*row) for row in rows]

    def load(self, conversation_id: str) -> list[Answer]:
        with closing(self._connect()) as db:
            row = db.execute("SELECT answers FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        if row is None:
            raise ConversationNotFoundError(f"no saved conversation {conversation_id!r}; it may have been deleted")
        try:
            return [Answer.from_dict(a) for a in json.loads(row[0])]
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise QAError(
                f"saved conversation {conversation_id!r} cannot be read ({exc}); it is kept as it is"
            ) from exc

    def rename(self, conversation_id: str, title: str) -> None:
        title = " ".join(title.split())
        if not title:
            raise QAError("a conversation's name cannot be empty")
        self._change("UPDATE conversations SET title = ?, updated = ? WHERE id = ?", (title, _now(), conversation_id))

    def delete(self, conversation_id: str) -> None:
        self._change("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def _change(self, sql: str, params: tuple) -> None:
        with closing(self._connect()) as db, db:
            if db.execute(sql, params).rowcount == 0:
                raise ConversationNotFoundError(f"no saved conversation {params[-1]!r}; it may have been deleted")


def _title(question: str) -> str:
    flat = " ".join(question.split())
    return flat if len(flat) <= TITLE_CHARS else flat[: TITLE_CHARS - 1] + "…"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
