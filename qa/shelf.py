"""Keep cleaned articles on disk by file stamp, so a new process need not re-read the corpus.

`qa index` runs in a fresh process each time. Without this, adding one article to a
corpus of 5,000 files would re-read and re-clean all 5,000 (about 20 s here) to learn
that 4,999 did not change. A file is taken from the shelf only while its size and
modification time are those it had when it was read, and only by the same reading code:
the shelf is emptied when the reader's fingerprint changes.

It is only a cache: a damaged file is set aside and started afresh, like the vector cache.
"""

from __future__ import annotations

import hashlib
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
SCHEMA = 2
"""Layout of the shelf's table; 2 added each record's checksum."""


def connect_cache(path: Path, table: str, what: str, schema: int = 0) -> sqlite3.Connection:
    """A cache's SQLite file with its `table` (name and columns) created; a damaged file is
    set aside (renamed, not deleted) and started afresh, since a cache only saves time. An
    OperationalError (locked, or the disk failing) is not damage and is raised.

    `schema` is the table's layout version: a file written with an older layout (SQLite's
    user_version below it) has that table dropped and made anew, so pass it only for
    tables that hold nothing but derived data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = sqlite3.connect(path, timeout=30)
        if schema and connection.execute("PRAGMA user_version").fetchone()[0] < schema:
            with connection:
                connection.execute(f"DROP TABLE IF EXISTS {table.split()[0]}")
                connection.execute(f"PRAGMA user_version = {int(schema)}")
        connection.execute(f"CREATE TABLE IF NOT EXISTS {table}")
        return connection
    except sqlite3.OperationalError:
        raise
    except sqlite3.DatabaseError as exc:
        set_aside(path, what, exc)
        return connect_cache(path, table, what, schema)


def set_aside(path: Path, what: str, exc: Exception) -> None:
    """Rename a damaged cache file out of the way: never deleted, so it can be looked at."""
    aside = path.with_name(f"{path.name}.corrupt-{time.time_ns()}")
    log.warning("%s %s is damaged (%s); moved to %s", what, path, exc, aside)
    try:
        path.rename(aside)
    except FileNotFoundError:
        log.debug("%s was set aside by another process meanwhile", path)


def row_digest(value: bytes) -> bytes:
    """A row's own checksum: SQLite checks its pages' structure, not the values in them, so
    a flipped byte inside a stored vector or article would otherwise be served as it is."""
    return hashlib.blake2b(value, digest_size=8).digest()


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
            "articles (relative TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, fingerprint TEXT, record TEXT,"
            " digest BLOB)",
            "article cache",
            SCHEMA,
        )

    def get(self, stamps: Mapping[str, Stamp]) -> dict[str, Any]:
        """Records of the files whose stamp is still the one they were read with; a record
        that fails its checksum is left out, so its file is read again."""
        found: dict[str, Any] = {}
        damaged = 0
        keys = list(stamps)
        try:
            with closing(self._connect()) as connection:
                for start in range(0, len(keys), CHUNK):
                    chunk = keys[start : start + CHUNK]
                    rows = connection.execute(
                        f"SELECT relative, size, mtime_ns, record, digest FROM articles "
                        f"WHERE fingerprint = ? AND relative IN ({','.join('?' * len(chunk))})",
                        [self.fingerprint, *chunk],
                    )
                    for key, size, mtime_ns, record, digest in rows:
                        if stamps[key] != (size, mtime_ns):
                            continue
                        if row_digest(record.encode()) != digest:
                            damaged += 1
                            continue
                        found[key] = json.loads(record)
        except (sqlite3.DatabaseError, ValueError) as exc:
            log.warning("cannot read the article cache %s (%s); reading the files instead", self.path, exc)
            if not isinstance(exc, sqlite3.OperationalError):
                set_aside(self.path, "article cache", exc)
            return {}
        if damaged:
            log.warning(
                "%d records in the article cache %s fail their checksum; reading those files", damaged, self.path
            )
        return found

    def put(self, records: Mapping[str, tuple[Stamp, Any]], present: Collection[str] | None) -> None:
        """Remember freshly read files and, unless `present` is None (one file added by
        name), forget those no longer present and those read by other code (another
        fingerprint). Finding either reads every row (77 ms at 50,000 articles), which a
        whole-folder sync does anyway and a named add should not; get() never serves other
        code's records meanwhile. A cache that cannot be written only costs time later."""
        rows = []
        for key, (stamp, record) in records.items():
            text = json.dumps(record)
            rows.append((key, *stamp, self.fingerprint, text, row_digest(text.encode())))
        try:
            with closing(self._connect()) as connection, connection:
                if present is not None:
                    connection.execute("DELETE FROM articles WHERE fingerprint != ?", (self.fingerprint,))
                    connection.execute(
                        "DELETE FROM articles WHERE relative NOT IN (SELECT value FROM json_each(?))",
                        (json.dumps(list(present)),),
                    )
                connection.executemany("INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?)", rows)
        except (sqlite3.DatabaseError, OSError) as exc:
            log.warning("cannot update the article cache %s: %s", self.path, exc)
