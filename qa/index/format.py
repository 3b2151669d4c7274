"""The index folder's layout and one version's format, in one place.

Layout of the index folder:

    CURRENT               name of the live version (replaced by one atomic rename)
    versions/<name>/      manifest.json and the base segment: vectors.faiss, sentences.npy,
                          passages.sqlite, bm25/; after a small change also delta/ (qa.index.segments)
    versions/tmp-*        a version being written (removed by the next writer if left over)
    cache.sqlite          embedding cache (qa.vectors.VectorCache), shared by every store
    .lock                 held by the one writer
    corrupt/<name>-<t>/   a damaged version, set aside rather than deleted
    articles.sqlite       cleaned articles by file stamp (qa.shelf)
    models/               the int8 export of the model (qa.quantized)
    qdrant/               the Qdrant Edge shard, under QA_STORE=qdrant-edge (qa.qdrant)
    conversations.sqlite  saved chats (qa.saved): the users', never rebuilt
    removed/              removed articles' files (qa.library): the users', never rebuilt

Everything above conversations.sqlite is built from the corpus and may be deleted
(`make clean`); the last two are the users' and are kept.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

from qa.errors import IndexCorruptError, IndexMismatchError
from qa.passages import place

FORMAT_VERSION = 5
"""2: sentence vectors (sentences.npy) and their offsets, for answers built from sentences.
3: a delta segment (delta/) beside the base, and base articles it hides.
4: passage vectors are the mean of their sentences' vectors, not encoded whole.
5: passages record the page they are on (PDF), for citations that say "p. 3 ¶2"."""

CURRENT = "CURRENT"
VERSIONS = "versions"
LOCK = ".lock"
CORRUPT = "corrupt"
CACHE = "cache.sqlite"
ARTICLE_SHELF = "articles.sqlite"
"""Cleaned articles by file stamp, so `qa index` re-reads only changed files."""
EXPORTED_MODELS = "models"
EDGE_SHARD = "qdrant"
CONVERSATIONS = "conversations.sqlite"
REMOVED = "removed"

MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
SENTENCE_VECTORS = "sentences.npy"
PASSAGES_DB = "passages.sqlite"
KEYWORDS = "bm25"
DELTA = "delta"
"""A version's delta segment: the same files as the base, in this subfolder."""
SEGMENT_FILES = (VECTORS, SENTENCE_VECTORS, PASSAGES_DB, KEYWORDS)

SCHEMA = """
CREATE TABLE articles (article_id TEXT PRIMARY KEY, path TEXT, title TEXT, display_title TEXT,
    source TEXT, date TEXT, paragraphs INTEGER, content_hash TEXT, indexed_at TEXT, dropped TEXT);
CREATE TABLE passages (row INTEGER PRIMARY KEY, passage_id TEXT UNIQUE, article_id TEXT,
    paragraph INTEGER, part INTEGER, parts INTEGER, text TEXT, text_hash TEXT, page INTEGER);
CREATE INDEX passages_by_article ON passages (article_id, paragraph, part);
CREATE TABLE sentences (row INTEGER PRIMARY KEY, passage_row INTEGER, start INTEGER, end INTEGER);
CREATE INDEX sentences_by_passage ON sentences (passage_row);
"""
"""Each segment's passages.sqlite (a delta's articles table lists only its own articles)."""


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
    checksums: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Size and SHA-256 of every file of the version but this manifest, by its path in the
    version folder (qa.index.checksums); empty in versions written before they were kept."""

    def encode(self) -> bytes:
        return json.dumps(asdict(self), indent=2).encode()

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """A version's manifest, refused if it is unreadable or of another format."""
        try:
            manifest = cls(**json.loads((folder / MANIFEST).read_text()))
        except (OSError, ValueError, TypeError) as exc:
            raise IndexCorruptError(f"cannot read {folder / MANIFEST}: {exc}") from exc
        if manifest.format_version != FORMAT_VERSION:
            raise IndexMismatchError(f"index format {manifest.format_version} is not the supported {FORMAT_VERSION}")
        return manifest


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


class ArticleState(NamedTuple):
    content_hash: str
    indexed_at: str
    path: str


@dataclass(frozen=True)
class PassageRecord:
    row: int
    passage_id: str
    article_id: str
    paragraph: int
    part: int
    parts: int
    text: str
    page: int | None = None
    """The page of a PDF the paragraph is on."""

    @property
    def place(self) -> str:
        return place(self.paragraph, self.page)


@dataclass(frozen=True)
class SentenceRecord:
    """Sentence `row` of the index is passage_text[start:end] of passage `passage_row`."""

    row: int
    passage_row: int
    start: int
    end: int
