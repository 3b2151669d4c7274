"""The Store interface the engine talks to, and how QA_STORE chooses one.

A store keeps articles' passages with their dense vectors and keyword terms, brings them
in line with the corpus folder, and opens a read-only view (`Searchable`) that answering
and browsing read from. The folder store (FAISS + bm25s + SQLite, versioned and
crash-safe, `qa.index.store`) is the default; `qa.qdrant` keeps the same data in Qdrant, in an
embedded Edge shard or on a server. All answer through the same retrieval and answer code (qa.searchable says what
they read), so an answer does not depend on where its passages are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from qa.articles import ArticleMemo
from qa.errors import ConfigError
from qa.index.format import CACHE, EDGE_SHARD
from qa.index.indexer import SyncReport, sync
from qa.index.store import IndexStore
from qa.index.update import update
from qa.searchable import Searchable
from qa.settings import UNKNOWN_STORE, is_server
from qa.vectors import Embedder, Progress


class Store(Protocol):
    """Where the index lives: synced from the corpus folder, opened for reading."""

    def current_name(self) -> str | None:
        """The live view's name; a change means a sync (maybe in another process) switched it."""
        ...

    def open(self) -> Searchable: ...

    def close(self) -> None:
        """Release what the store holds open (Qdrant Edge: the shard, which one process owns)."""
        ...

    def sync(
        self,
        corpus_dir: Path,
        embedder: Embedder,
        *,
        full: bool = False,
        progress: Progress | None = None,
        lock_timeout: float = 300.0,
        memo: ArticleMemo | None = None,
    ) -> SyncReport: ...

    def update(
        self,
        corpus_dir: Path,
        paths: Sequence[Path],
        embedder: Embedder,
        *,
        progress: Progress | None = None,
        lock_timeout: float = 300.0,
        memo: ArticleMemo | None = None,
    ) -> SyncReport: ...


class FolderStore(IndexStore):
    """The versioned index folder (qa.index.store) as a Store."""

    def close(self) -> None:
        """Versions are closed by their readers; the folder holds nothing open."""

    def sync(
        self,
        corpus_dir: Path,
        embedder: Embedder,
        *,
        full: bool = False,
        progress: Progress | None = None,
        lock_timeout: float = 300.0,
        memo: ArticleMemo | None = None,
    ) -> SyncReport:
        return sync(corpus_dir, self, embedder, full=full, progress=progress, lock_timeout=lock_timeout, memo=memo)

    def update(
        self,
        corpus_dir: Path,
        paths: Sequence[Path],
        embedder: Embedder,
        *,
        progress: Progress | None = None,
        lock_timeout: float = 300.0,
        memo: ArticleMemo | None = None,
    ) -> SyncReport:
        return update(corpus_dir, paths, self, embedder, progress=progress, lock_timeout=lock_timeout, memo=memo)


def open_store(kind: str, index_dir: Path, api_key: str | None = None) -> Store:
    """The store QA_STORE names: "folder" (default), "qdrant-edge" (a shard in
    index_dir/qdrant) or a Qdrant server's address (qdrant://host:port/collection).
    Qdrant stores keep their vector cache in index_dir, as the folder store does."""
    if kind == "qdrant-edge" or is_server(kind):
        from qa.qdrant.edge import EdgeBackend
        from qa.qdrant.points import Backend
        from qa.qdrant.server import ClientBackend
        from qa.qdrant.store import QdrantStore

        backend: Backend = EdgeBackend(index_dir / EDGE_SHARD)
        if is_server(kind):
            backend = ClientBackend.from_url(kind, api_key)
        return QdrantStore(backend, index_dir / CACHE)
    if kind != "folder":
        raise ConfigError(UNKNOWN_STORE.format(kind))
    return FolderStore(index_dir)
