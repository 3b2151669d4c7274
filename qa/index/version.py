"""Read one index version: its base and delta segments, checked, shown as one index."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from qa.index import ann
from qa.articles import Dropped
from qa.errors import IndexCorruptError, IndexMismatchError
from qa.index.keywords import KeywordIndex
from qa.passages import place
from qa.index.segments import DenseHit, Segment, Segments
from qa.index.format import (
    DELTA,
    KEYWORDS,
    PASSAGES_DB,
    SENTENCE_VECTORS,
    VECTORS,
    ArticleRecord,
    ArticleState,
    Manifest,
    PassageRecord,
    SentenceRecord,
)


class IndexVersion:
    """One whole, read-only index version, checked for consistency when opened."""

    def __init__(self, folder: Path, *, mapped: bool = False) -> None:
        """`mapped`: memory-map IVF lists too (see IndexStore.open); flat vectors always are."""
        self.name = folder.name
        self._mapped = mapped
        self.folder = folder
        self._lock = threading.Lock()
        self.manifest = Manifest.read(folder)
        try:
            self._db = sqlite3.connect(f"file:{folder / PASSAGES_DB}?mode=ro", uri=True, check_same_thread=False)
            segments = [
                self._open_segment(folder, ann.VectorIndexKind(self.manifest.faiss_index, self.manifest.nprobe))
            ]
            if self.manifest.delta_passages or self.manifest.hidden:
                self._db.execute(f"ATTACH DATABASE 'file:{folder / DELTA / PASSAGES_DB}?mode=ro' AS delta")
                segments.append(self._open_segment(folder / DELTA, ann.VectorIndexKind("IndexFlatIP")))
            hidden_rows = self._create_views(len(segments) > 1)
        except (RuntimeError, OSError, ValueError, sqlite3.DatabaseError) as exc:
            raise IndexCorruptError(f"cannot read index version {folder}: {exc}") from exc
        self.segments = Segments(segments, hidden_rows)
        if self.segments.live_rows != self.manifest.passages:
            raise IndexCorruptError(
                f"index version {folder} is inconsistent: {self.segments.live_rows} live passages, "
                f"manifest says {self.manifest.passages}"
            )

    def _open_segment(self, folder: Path, kind: ann.VectorIndexKind) -> Segment:
        """One segment, checked: as many vectors as passage rows, and sentence vectors as sentence rows."""
        base = folder == self.folder
        schema = "main" if base else "delta"
        offsets = (0, 0) if base else (self.manifest.base_passages, self.manifest.base_sentences)
        expected = (
            (self.manifest.base_passages, self.manifest.base_sentences)
            if base
            else (self.manifest.delta_passages, self.manifest.delta_sentences)
        )
        faiss_index = ann.open_index(folder / VECTORS, kind, mapped=self._mapped)
        (rows,) = self._db.execute(f"SELECT count(*) FROM {schema}.passages").fetchone()
        (sentences,) = self._db.execute(f"SELECT count(*) FROM {schema}.sentences").fetchone()
        sentence_vectors = np.load(folder / SENTENCE_VECTORS, mmap_mode="r")
        keywords = KeywordIndex.load(folder / KEYWORDS)
        found = (faiss_index.ntotal, rows, keywords.documents or rows)
        shape = (sentences, self.manifest.dimension)
        if set(found) != {expected[0]} or sentences != expected[1] or sentence_vectors.shape != shape:
            raise IndexCorruptError(
                f"index segment {folder} is inconsistent: {faiss_index.ntotal} vectors, {rows} passage rows, "
                f"{keywords.documents} keyword rows, manifest says {expected[0]}; "
                f"{sentence_vectors.shape} sentence vectors for {sentences} sentences (manifest: {expected[1]})"
            )
        if faiss_index.d != self.manifest.dimension:
            raise IndexCorruptError(
                f"index segment {folder} has dimension {faiss_index.d}, not {self.manifest.dimension}"
            )
        return Segment(faiss_index, keywords, sentence_vectors, offsets[0], offsets[1], kind.nprobe)

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

    def integrity(self) -> str:
        """SQLite's integrity check of every segment: "ok", or what is wrong.

        Vector and row counts were already checked when the version was opened."""
        schemas = [name for _, name, _ in self._query("PRAGMA database_list") if name in ("main", "delta")]
        problems = [row for name in schemas for (row,) in self._query(f"PRAGMA {name}.integrity_check") if row != "ok"]
        return "; ".join(problems) or "ok"

    @property
    def passage_count(self) -> int:
        return self.manifest.passages

    @property
    def model(self) -> str:
        return self.manifest.model

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())

    def dense_search(self, vector: np.ndarray, k: int, only: np.ndarray | None = None) -> list[DenseHit]:
        """Hits (row, cosine) of live passages (of the rows `only`, if given), best first."""
        return self.segments.dense(vector, k, only=only)[0]

    def passage_rows(self, article_ids: Sequence[str]) -> np.ndarray:
        """The live passage rows of these articles, in row order."""
        rows = self._among("SELECT row FROM passages", article_ids)
        return np.array(sorted(row for (row,) in rows), dtype=np.int64)

    def sentence_vectors(self, rows: Sequence[int]) -> np.ndarray:
        return self.segments.sentence_vectors(rows)

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
