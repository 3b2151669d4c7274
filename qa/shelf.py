"""Keep cleaned articles on disk by file stamp, so a new process need not re-read the corpus.

`qa index` runs in a fresh process each time. Without this, adding one article to a
corpus of 5,000 files would re-read and re-clean all 5,000 (about 20 s here) to learn
that 4,999 did not change. A file is taken from the shelf only while its size and
modification time are those it had when it was read, and only by the same reading code:
the shelf is emptied when the reader's fingerprint changes.

It is only a cache: a damaged file is set aside and started afresh, like the vector cache.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Collection, Mapping
from contextlib import closing
from pathlib import Path
from typing import Any, NamedTuple

log = logging.getLogger(__name__)

CHUNK = 500
"""Keys per SQL statement, well under SQLite's limit on bound parameters."""


def connect_cache(path: Path, table: str, what: str) -> sqlite3.Connection:
    """A cache's SQLite file with its `table` (name and columns) created; a damaged file is
    set aside (renamed, not deleted) and started afresh, since a cache only saves time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = sqlite3.connect(path, timeout=30)
        connection.execute(f"CREATE TABLE IF NOT EXISTS {table}")
        return connection
    except sqlite3.DatabaseError as exc:
        aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
        log.warning("%s %s is damaged (%s); moved to %s", what, path, exc, aside)
        path.rename(aside)
        return connect_cache(path, table, what)


class Stamp(NamedTuple):
    size: int
    mtime_ns: int


class ArticleShelf:
    """JSON records by relative path and stamp, for one reader fingerprint."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint

    def _connect(self) -> sqlite3.Connection:
        return connect_cache(
            self.path,
            "articles (relative TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, fingerprint TEXT, record TEXT)",
            "article cache",
        )

    def get(self, stamps: Mapping[str, Stamp]) -> dict[str, Any]:
        """Records of the files whose stamp is still the one they were read with."""
        found: dict[str, Any] = {}
        keys = list(stamps)
        try:
            with closing(self._connect()) as connection:
                for start in range(0, len(keys), CHUNK):
                    chunk = keys[start : start + CHUNK]
                    rows = connection.execute(
                        f"SELECT relative, size, mtime_ns, record FROM articles "
                        f"WHERE fingerprint = ? AND relative IN ({','.join('?' * len(chunk))})",
                        [self.fingerprint, *chunk],
                    )
                    found.update(
                        (key, json.loads(record)) for key, *stamp, record in rows if stamps[key] == tuple(stamp)
                    )
        except (sqlite3.DatabaseError, ValueError) as exc:
            log.warning("cannot read the article cache %s (%s); reading the files instead", self.path, exc)
            return {}
        return found

    def put(self, records: Mapping[str, tuple[Stamp, Any]], present: Collection[str] | None) -> None:
        """Remember freshly read files and forget those read by other code and, unless
        `present` is None, those no longer present; a cache that cannot be written only
        costs time later."""
        rows = [(key, *stamp, self.fingerprint, json.dumps(record)) for key, (stamp, record) in records.items()]
        try:
            with closing(self._connect()) as connection, connection:
                connection.execute("DELETE FROM articles WHERE fingerprint != ?", (self.fingerprint,))
                if present is not None:
                    connection.execute(
                        "DELETE FROM articles WHERE relative NOT IN (SELECT value FROM json_each(?))",
                        (json.dumps(list(present)),),
                    )
                connection.executemany("INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?)", rows)
        except (sqlite3.DatabaseError, OSError) as exc:
            log.warning("cannot update the article cache %s: %s", self.path, exc)
