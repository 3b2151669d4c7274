"""The SQL reads of one index version: articles, passages and sentences, base and delta as one."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.articles import Dropped
from qa.index.format import (
    DELTA,
    PASSAGES_DB,
    ArticleRecord,
    ArticleState,
    Manifest,
    PassageRecord,
    SentenceRecord,
)


class Catalog:
    """A version's passages.sqlite (and its delta's, attached), read-only, shared by threads.

    Temporary views named like the tables show only the live rows: base rows of hidden
    articles are left out and the delta's rows follow the base's."""

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        """Raises sqlite3.DatabaseError or OSError for a damaged or missing file."""
        self.manifest = manifest
        self._lock = threading.Lock()
        self._db = sqlite3.connect(f"file:{folder / PASSAGES_DB}?mode=ro", uri=True, check_same_thread=False)
        self.has_delta = bool(manifest.delta_passages or manifest.hidden)
        if self.has_delta:
            self._db.execute(f"ATTACH DATABASE 'file:{folder / DELTA / PASSAGES_DB}?mode=ro' AS delta")
        self.hidden_rows = self._create_views(self.has_delta)

    def _create_views(self, with_delta: bool) -> list[int]:
        """Temporary views that show the version's live rows as plain tables; the hidden base rows."""
        self._db.execute("CREATE TEMP TABLE hidden (article_id TEXT PRIMARY KEY)")
        self._db.executemany("INSERT INTO hidden VALUES (?)", [(a,) for a in self.manifest.hidden])
        live = "WHERE article_id NOT IN (SELECT article_id FROM hidden)"
        for table, where in (("articles", live), ("passages", live), ("sentences", "")):
            delta = f" UNION ALL SELECT * FROM delta.{table}" if with_delta else ""
            self._db.execute(f"CREATE TEMP VIEW {table} AS SELECT * FROM main.{table} {where}{delta}")
        found = self._db.execute(
            "SELECT row FROM main.passages WHERE article_id IN (SELECT article_id FROM hidden)"
        ).fetchall()
        return [row for (row,) in found]

    def row_ranges(self, schema: str) -> tuple[range, range]:
        """The passage and sentence row numbers of one segment ("main" or "delta"), to check
        its files against. Rows are numbered densely from the segment's offset, so the first
        and last row (two B-tree lookups) tell what count(*) would by reading every row:
        17 ms of a one-article add at a million passages. A row missing in between is the
        files' checksums' to catch, as any other changed byte is."""
        return self._row_range(f"{schema}.passages"), self._row_range(f"{schema}.sentences")

    def _row_range(self, table: str) -> range:
        """Two queries: SQLite reads min() or max() off the B-tree only when it is alone in one."""
        ((first,),) = self._query(f"SELECT min(row) FROM {table}")
        ((last,),) = self._query(f"SELECT max(row) FROM {table}")
        return range(0) if first is None else range(first, last + 1)

    def integrity(self) -> str:
        """SQLite's integrity check of every segment: "ok", or what is wrong.

        Vector and row counts were already checked when the version was opened."""
        schemas = [name for _, name, _ in self._query("PRAGMA database_list") if name in ("main", "delta")]
        problems = [row for name in schemas for (row,) in self._query(f"PRAGMA {name}.integrity_check") if row != "ok"]
        return "; ".join(problems) or "ok"

    def passage_rows(self, article_ids: Sequence[str]) -> np.ndarray:
        """The live passage rows of these articles, in row order."""
        rows = self._among("SELECT row FROM passages", article_ids)
        return np.array(sorted(row for (row,) in rows), dtype=np.int64)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def passages(self, rows: Sequence[int]) -> list[PassageRecord]:
        """Records in the order of `rows`; every row must exist."""
        marks = ",".join("?" * len(rows))
        query = f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE row IN ({marks})"
        found = {r[0]: PassageRecord(*r) for r in self._query(query, list(rows))}
        return [found[row] for row in rows]

    def sentences(self, passage_rows: Sequence[int]) -> list[SentenceRecord]:
        """Sentences of the given passages, in passage and reading order."""
        marks = ",".join("?" * len(passage_rows))
        found = self._query(
            f"SELECT row, passage_row, start, end FROM sentences WHERE passage_row IN ({marks}) ORDER BY row",
            list(passage_rows),
        )
        return [SentenceRecord(*r) for r in found]

    def base_articles(self, ids: Sequence[str] | None = None) -> dict[str, str]:
        """Content hash of every article in the base segment (or of those of `ids`), hidden ones included."""
        return dict(self._among("SELECT article_id, content_hash FROM main.articles", ids))

    def article_states(self, ids: Sequence[str] | None = None) -> dict[str, ArticleState]:
        """What a sync compares of every live article, or of those of `ids`."""
        rows = self._among("SELECT article_id, content_hash, indexed_at, path FROM articles", ids)
        return {a: ArticleState(*state) for a, *state in rows}

    def _among(self, query: str, ids: Sequence[str] | None) -> list[tuple]:
        """Rows of `query`, only those of the articles `ids` unless it is None (passed as one
        JSON parameter, so there may be any number of them)."""
        if ids is None:
            return self._query(query)
        return self._query(f"{query} WHERE article_id IN (SELECT value FROM json_each(?))", [json.dumps(list(ids))])

    def delta_articles(self) -> dict[str, str]:
        """Path of each article in the delta segment: what the next delta rewrites."""
        if not (self.manifest.delta_passages or self.manifest.hidden):
            return {}
        return dict(self._query("SELECT article_id, path FROM delta.articles"))

    def base_owners(self, rows: Sequence[int]) -> dict[int, str]:
        """Article id of each given row that is in the base segment."""
        if not rows:
            return {}
        marks = ",".join("?" * len(rows))
        return dict(self._query(f"SELECT row, article_id FROM main.passages WHERE row IN ({marks})", list(rows)))

    def base_passage_count(self, article_ids: Sequence[str]) -> int:
        return self._among("SELECT count(*) FROM main.passages", article_ids)[0][0] if article_ids else 0

    def article_passages(self, article_id: str) -> list[PassageRecord]:
        return [
            PassageRecord(*r)
            for r in self._query(
                f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE article_id = ? ORDER BY paragraph, part",
                (article_id,),
            )
        ]

    def articles(self) -> list[ArticleRecord]:
        return [ArticleRecord(*r) for r in self._query(f"SELECT {_ARTICLE_COLUMNS} FROM articles ORDER BY article_id")]

    def article(self, article_id: str) -> ArticleRecord | None:
        rows = self._query(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE article_id = ?", (article_id,))
        return ArticleRecord(*rows[0]) if rows else None

    def display_title(self, article_id: str) -> str:
        rows = self._query("SELECT display_title FROM articles WHERE article_id = ?", (article_id,))
        return rows[0][0] if rows else article_id

    def dropped(self, article_id: str) -> list[Dropped]:
        rows = self._query("SELECT dropped FROM articles WHERE article_id = ?", (article_id,))
        return [Dropped(**d) for d in json.loads(rows[0][0])] if rows else []

    def close(self) -> None:
        with self._lock:
            self._db.close()


_PASSAGE_COLUMNS = "row, passage_id, article_id, paragraph, part, parts, text, page"
_ARTICLE_COLUMNS = "article_id, path, title, display_title, source, date, paragraphs, content_hash, indexed_at"
