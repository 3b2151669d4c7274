"""Write one index version into its folder, every file fsynced, so it is whole or absent.

FAISS's own write_index truncates its target and does not raise on a failed close, so
every file goes through Python writes (which raise on a full disk) into a fresh folder;
qa.store switches CURRENT to it only afterwards.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from qa import ann
from qa.articles import Article
from qa.keywords import KeywordIndex
from qa.passages import Passage

FORMAT_VERSION = 2
"""2: sentence vectors (sentences.npy) and their offsets, for answers built from sentences."""
_SCHEMA = """
CREATE TABLE articles (article_id TEXT PRIMARY KEY, path TEXT, title TEXT, display_title TEXT,
    source TEXT, date TEXT, paragraphs INTEGER, content_hash TEXT, indexed_at TEXT, dropped TEXT);
CREATE TABLE passages (row INTEGER PRIMARY KEY, passage_id TEXT UNIQUE, article_id TEXT,
    paragraph INTEGER, part INTEGER, parts INTEGER, text TEXT, text_hash TEXT);
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
    import faiss

    dimension = content.vectors.shape[1]
    kind = ann.choose(len(content.vectors))
    index = ann.build(content.vectors, kind)
    write_durably(folder / "vectors.faiss", faiss.serialize_index(index).tobytes())
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(content.sentence_vectors, dtype=np.float32))
    write_durably(folder / "sentences.npy", buffer.getvalue())

    db_path = folder / "passages.sqlite"
    db = sqlite3.connect(db_path)
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
            "INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (row, p.passage_id, p.article_id, p.paragraph, p.part, p.parts, p.text, p.text_hash)
                for row, p in enumerate(content.passages)
            ],
        )
        db.executemany(
            "INSERT INTO sentences VALUES (?, ?, ?, ?)",
            [(s.row, s.passage_row, s.start, s.end) for s in content.sentences],
        )
        db.commit()
    finally:
        db.close()
    _fsync_file(db_path)

    bm25 = folder / "bm25"
    KeywordIndex.build([p.text for p in content.passages]).save(bm25)
    for path in bm25.iterdir():
        _fsync_file(path)
    fsync_dir(bm25)

    manifest = Manifest(
        format_version=FORMAT_VERSION,
        model=content.model,
        dimension=dimension,
        passages=len(content.passages),
        articles=len(content.articles),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        faiss_index=kind.name,
        nprobe=kind.nprobe,
    )
    write_durably(folder / "manifest.json", json.dumps(asdict(manifest), indent=2).encode())
    fsync_dir(folder)


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
