"""Write one index version into its folder, every file fsynced, so it is whole or absent.

FAISS's own write_index truncates its target and does not raise on a failed close, and
SQLite reports a full disk as a bare "disk I/O error", so every file is built in memory
and goes through Python writes (which raise with the cause) into a fresh folder;
qa.store switches CURRENT to it only afterwards.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from qa import ann
from qa.articles import Article
from qa.keywords import KeywordIndex
from qa.passages import Passage

FORMAT_VERSION = 5
"""2: sentence vectors (sentences.npy) and their offsets, for answers built from sentences.
3: a delta segment (delta/) beside the base, and base articles it hides.
4: passage vectors are the mean of their sentences' vectors, not encoded whole.
5: passages record the page they are on (PDF), for citations that say "p. 3 ¶2"."""
BASE_FILES = ("vectors.faiss", "sentences.npy", "passages.sqlite", "bm25")
"""The base segment's files, at the top of a version folder."""
DELTA = "delta"
_SCHEMA = """
CREATE TABLE articles (article_id TEXT PRIMARY KEY, path TEXT, title TEXT, display_title TEXT,
    source TEXT, date TEXT, paragraphs INTEGER, content_hash TEXT, indexed_at TEXT, dropped TEXT);
CREATE TABLE passages (row INTEGER PRIMARY KEY, passage_id TEXT UNIQUE, article_id TEXT,
    paragraph INTEGER, part INTEGER, parts INTEGER, text TEXT, text_hash TEXT, page INTEGER);
CREATE INDEX passages_by_article ON passages (article_id, paragraph, part);
CREATE TABLE sentences (row INTEGER PRIMARY KEY, passage_row INTEGER, start INTEGER, end INTEGER);
CREATE INDEX sentences_by_passage ON sentences (passage_row);
"""


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model: str
    dimension: int
    passages: int
    articles: int
    created: str
    faiss_index: str = "IndexFlatIP"
    nprobe: int = 0
    """Of the base segment; a delta is always searched exactly."""
    base_passages: int = 0
    base_sentences: int = 0
    delta_passages: int = 0
    delta_sentences: int = 0
    hidden: list[str] = field(default_factory=list)
    """Base articles that the delta replaces or that were removed since the base was written."""


@dataclass(frozen=True)
class SentenceRecord:
    """Sentence `row` of the index is passage_text[start:end] of passage `passage_row`."""

    row: int
    passage_row: int
    start: int
    end: int


@dataclass(frozen=True)
class VersionContent:
    """Everything a new version holds; passages[i] is the passage of vectors[i],
    sentences[j] the sentence of sentence_vectors[j]."""

    model: str
    articles: Sequence[Article]
    indexed_at: dict[str, str]
    passages: Sequence[Passage]
    vectors: np.ndarray
    sentences: Sequence[SentenceRecord]
    sentence_vectors: np.ndarray


def write_version(folder: Path, content: VersionContent) -> None:
    """A version whose base segment holds everything."""
    kind = write_segment(folder, content)
    write_manifest(
        folder,
        Manifest(
            format_version=FORMAT_VERSION,
            model=content.model,
            dimension=content.vectors.shape[1],
            passages=len(content.passages),
            articles=len(content.articles),
            created=_now(),
            faiss_index=kind.name,
            nprobe=kind.nprobe,
            base_passages=len(content.passages),
            base_sentences=len(content.sentences),
        ),
    )


def write_delta_version(
    folder: Path,
    base_folder: Path,
    base: Manifest,
    content: VersionContent,
    hidden: Sequence[str],
    live: tuple[int, int],
) -> None:
    """A version that shares `base_folder`'s base segment (hard links) and adds `content` as its delta.

    `live` is (passages, articles) of the whole version, hidden base rows left out."""
    link_base(base_folder, folder)
    write_segment(
        folder / DELTA,
        content,
        row_offset=base.base_passages,
        sentence_offset=base.base_sentences,
        kind=ann.VectorIndexKind("IndexFlatIP"),
    )
    write_manifest(
        folder,
        replace(
            base,
            passages=live[0],
            articles=live[1],
            created=_now(),
            delta_passages=len(content.passages),
            delta_sentences=len(content.sentences),
            hidden=sorted(hidden),
        ),
    )


def link_base(source: Path, folder: Path) -> None:
    """Share the base segment's files: they are never written after their version is made."""
    for name in BASE_FILES:
        if (source / name).is_dir():
            (folder / name).mkdir()
            for path in (source / name).iterdir():
                _link(path, folder / name / path.name)
            fsync_dir(folder / name)
        else:
            _link(source / name, folder / name)


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
        _fsync_file(target)


def write_segment(
    folder: Path,
    content: VersionContent,
    *,
    row_offset: int = 0,
    sentence_offset: int = 0,
    kind: ann.VectorIndexKind | None = None,
) -> ann.VectorIndexKind:
    """Vectors, sentence vectors, rows and keywords of one segment; rows numbered from the offsets."""
    import faiss

    folder.mkdir(exist_ok=True)
    kind = kind or ann.choose(len(content.vectors))
    index = ann.build(content.vectors, kind)
    write_durably(folder / "vectors.faiss", faiss.serialize_index(index).tobytes())
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(content.sentence_vectors, dtype=np.float32))
    write_durably(folder / "sentences.npy", buffer.getvalue())

    db = sqlite3.connect(":memory:")
    try:
        db.executescript(_SCHEMA)
        db.executemany(
            "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    a.article_id,
                    a.path,
                    a.title,
                    a.display_title,
                    a.source,
                    a.date,
                    len(a.paragraphs),
                    a.content_hash,
                    content.indexed_at[a.article_id],
                    json.dumps([asdict(d) for d in a.dropped]),
                )
                for a in content.articles
            ],
        )
        db.executemany(
            "INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    row_offset + row,
                    p.passage_id,
                    p.article_id,
                    p.paragraph,
                    p.part,
                    p.parts,
                    p.text,
                    p.text_hash,
                    p.page,
                )
                for row, p in enumerate(content.passages)
            ],
        )
        db.executemany(
            "INSERT INTO sentences VALUES (?, ?, ?, ?)",
            [(sentence_offset + s.row, row_offset + s.passage_row, s.start, s.end) for s in content.sentences],
        )
        db.commit()
        write_durably(folder / "passages.sqlite", db.serialize())
    finally:
        db.close()

    bm25 = folder / "bm25"
    KeywordIndex.build([p.text for p in content.passages]).save(bm25)
    for path in bm25.iterdir():
        _fsync_file(path)
    fsync_dir(bm25)
    fsync_dir(folder)
    return kind


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Written last: a folder without a manifest is not a version."""
    write_durably(folder / "manifest.json", json.dumps(asdict(manifest), indent=2).encode())
    fsync_dir(folder)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_durably(path: Path, data: bytes) -> None:
    """Python's own writes raise on a full disk, unlike FAISS's write_index on close."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
