"""Write one index version into its folder, every file fsynced, so it is whole or absent.

FAISS's own write_index truncates its target and does not raise on a failed close, and
SQLite reports a full disk as a bare "disk I/O error", so every file is built in memory
and goes through Python writes (which raise with the cause) into a fresh folder;
qa.index.store switches CURRENT to it only afterwards.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from qa.articles import Article
from qa.index import ann
from qa.index.checksums import checksums
from qa.index.format import (
    DELTA,
    FORMAT_VERSION,
    KEYWORDS,
    MANIFEST,
    PASSAGES_DB,
    SCHEMA,
    SEGMENT_FILES,
    SENTENCE_VECTORS,
    VECTORS,
    Manifest,
    SentenceRecord,
)
from qa.index.keywords import KeywordIndex
from qa.passages import Passage


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
            checksums=checksums(folder, leave_out=frozenset({MANIFEST})),
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
            checksums={
                **{name: sum_ for name, sum_ in base.checksums.items() if not name.startswith(f"{DELTA}/")},
                **checksums(folder, DELTA),
            },
        ),
    )


def link_base(source: Path, folder: Path) -> None:
    """Share the base segment's files: they are never written after their version is made."""
    for name in SEGMENT_FILES:
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
    kind = kind or ann.choose(len(content.vectors), content.vectors.shape[1])
    index = ann.build(content.vectors, kind)
    write_durably(folder / VECTORS, faiss.serialize_index(index).tobytes())
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(content.sentence_vectors, dtype=np.float32))
    write_durably(folder / SENTENCE_VECTORS, buffer.getvalue())

    db = sqlite3.connect(":memory:")
    try:
        db.executescript(SCHEMA)
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
        write_durably(folder / PASSAGES_DB, db.serialize())
    finally:
        db.close()

    bm25 = folder / KEYWORDS
    KeywordIndex.build([p.text for p in content.passages]).save(bm25)
    for path in bm25.iterdir():
        _fsync_file(path)
    fsync_dir(bm25)
    fsync_dir(folder)
    return kind


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Written last: a folder without a manifest is not a version."""
    write_durably(folder / MANIFEST, manifest.encode())
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
