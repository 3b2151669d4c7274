"""Keep index versions on disk so that a crash at any moment leaves a whole one.

Layout of the index folder:

    CURRENT               name of the live version (replaced by one atomic rename)
    versions/<name>/      manifest.json, vectors.faiss, sentences.npy, passages.sqlite, bm25/
    versions/tmp-*        a version being written (removed by the next writer if left over)
    cache.sqlite          embedding cache (see qa.vectors.VectorCache)
    .lock                 held by the one writer

A new version is written into its own folder beside the live one, every file and folder
is fsynced, and only then does CURRENT change. Readers read CURRENT and open that folder,
so they see the old version or the new one, never a half-written one.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa import ann
from qa.articles import Dropped
from qa.errors import IndexBusyError, IndexCorruptError, IndexMismatchError, IndexMissingError, IndexWriteError
from qa.keywords import KeywordIndex
from qa.writer import (
    FORMAT_VERSION,
    Manifest,
    SentenceRecord,
    VersionContent,
    fsync_dir,
    write_durably,
    write_version,
)

log = logging.getLogger(__name__)

KEEP_VERSIONS = 2
"""The live version and the one before it, for readers still opening it."""


@dataclass(frozen=True)
class ArticleRecord:
    article_id: str
    path: str
    title: str | None
    display_title: str
    source: str | None
    date: str | None
    paragraphs: int
    content_hash: str
    indexed_at: str


@dataclass(frozen=True)
class PassageRecord:
    row: int
    passage_id: str
    article_id: str
    paragraph: int
    part: int
    parts: int
    text: str


class IndexVersion:
    """One whole, read-only index version, checked for consistency when opened."""

    def __init__(self, folder: Path) -> None:

        self.name = folder.name
        self.folder = folder
        self._lock = threading.Lock()
        try:
            self.manifest = Manifest(**json.loads((folder / "manifest.json").read_text()))
        except (OSError, ValueError, TypeError) as exc:
            raise IndexCorruptError(f"cannot read {folder / 'manifest.json'}: {exc}") from exc
        if self.manifest.format_version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"index format {self.manifest.format_version} is not the supported {FORMAT_VERSION}"
            )
        try:
            kind = ann.VectorIndexKind(self.manifest.faiss_index, self.manifest.nprobe)
            self.faiss = ann.open_index(folder / "vectors.faiss", kind)
            self._db = sqlite3.connect(f"file:{folder / 'passages.sqlite'}?mode=ro", uri=True, check_same_thread=False)
            (rows,) = self._db.execute("SELECT count(*) FROM passages").fetchone()
            (sentences,) = self._db.execute("SELECT count(*) FROM sentences").fetchone()
            self.sentence_vectors = np.load(folder / "sentences.npy", mmap_mode="r")
            self.keywords = KeywordIndex.load(folder / "bm25")
        except (RuntimeError, OSError, ValueError, sqlite3.DatabaseError) as exc:
            raise IndexCorruptError(f"cannot read index version {folder}: {exc}") from exc
        counts = {self.faiss.ntotal, rows, self.manifest.passages}
        shape = (sentences, self.manifest.dimension)
        if len(counts) != 1 or self.faiss.d != self.manifest.dimension or self.sentence_vectors.shape != shape:
            raise IndexCorruptError(
                f"index version {folder} is inconsistent: {self.faiss.ntotal} vectors of "
                f"dimension {self.faiss.d}, {rows} passage rows, manifest says {self.manifest.passages}; "
                f"{self.sentence_vectors.shape} sentence vectors for {sentences} sentences"
            )

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


_PASSAGE_COLUMNS = "row, passage_id, article_id, paragraph, part, parts, text"
_ARTICLE_COLUMNS = "article_id, path, title, display_title, source, date, paragraphs, content_hash, indexed_at"


class IndexStore:
    """The index folder: open the live version, or write a new one under the writer lock."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.versions = folder / "versions"

    def current_name(self) -> str | None:
        try:
            return (self.folder / "CURRENT").read_text().strip() or None
        except FileNotFoundError:
            return None

    def open(self) -> IndexVersion:
        name = self.current_name()
        if name is None:
            raise IndexMissingError(f"no index in {self.folder}; run `qa index` to build it")
        folder = self.versions / name
        if not folder.is_dir():
            raise IndexCorruptError(f"{self.folder / 'CURRENT'} names {name}, which does not exist")
        return IndexVersion(folder)

    @contextmanager
    def lock(self, timeout: float = 300.0) -> Iterator[None]:
        """One writer at a time; others wait up to `timeout` seconds, then get IndexBusyError."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "a+") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusyError(
                            f"another process is rebuilding {self.folder}; try again shortly"
                        ) from None
                    time.sleep(0.2)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def write(self, content: VersionContent) -> str:
        """Write a version beside the live one and switch to it. Call with the lock held."""
        self.versions.mkdir(parents=True, exist_ok=True)
        name = f"v{time.time_ns()}-{uuid.uuid4().hex[:6]}"
        tmp = self.versions / f"tmp-{name}"
        try:
            tmp.mkdir()
            write_version(tmp, content)
            os.rename(tmp, self.versions / name)
            fsync_dir(self.versions)
            pointer = self.folder / "CURRENT.tmp"
            write_durably(pointer, name.encode())
            os.replace(pointer, self.folder / "CURRENT")
            fsync_dir(self.folder)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise IndexWriteError(
                f"could not write the index to {self.folder}: {exc.strerror or exc}; the previous index is untouched"
            ) from exc
        self.prune()
        return name

    def prune(self) -> None:
        """Remove left-over temporary folders and versions older than KEEP_VERSIONS."""
        if not self.versions.is_dir():
            return
        current = self.current_name()
        done = sorted(p for p in self.versions.iterdir() if p.name.startswith("v"))
        keep = {p.name for p in done[-KEEP_VERSIONS:]} | {current}
        for path in self.versions.iterdir():
            if path.name not in keep:
                log.debug("removing old index folder %s", path)
                shutil.rmtree(path, ignore_errors=True)

    def set_aside(self, reason: str) -> Path | None:
        """Move the live version out of the way (never delete it) so a rebuild can start."""
        name = self.current_name()
        if name is None:
            return None
        aside = self.folder / "corrupt" / f"{name}-{int(time.time())}"
        aside.parent.mkdir(parents=True, exist_ok=True)
        source = self.versions / name
        if source.exists():
            os.rename(source, aside)
        else:
            aside.mkdir()
        (aside / "REASON.txt").write_text(reason + "\n")
        (self.folder / "CURRENT").unlink(missing_ok=True)
        log.warning("index version %s set aside in %s: %s", name, aside, reason)
        return aside
