"""The one object the CLI and the app talk to: index, search, list and show articles."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa import metadata
from qa.answer import draft
from qa.articles import ArticleMemo, Dropped
from qa.cite import Answer, render
from qa.distributed import embedder_for
from qa.errors import (
    ArticleNotFoundError,
    ConfigError,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    QueryError,
)
from qa.filters import Filter
from qa.followup import Turn, contextualize
from qa.index.format import ARTICLE_SHELF, ArticleRecord, PassageRecord
from qa.index.indexer import SyncReport
from qa.retrieval import SearchResult, hybrid_search
from qa.scorer import AnswerModel, load_answer_model
from qa.searchable import Searchable
from qa.settings import Settings
from qa.storage import Store, open_store
from qa.vectors import Embedder, Progress, vector_model

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 2000
MAX_K = 100
DEFAULT_PASSAGES = 8
"""Passages an answer considers: enough to find corroboration across five-odd articles."""
QUERY_CACHE = 1024
"""Vectors of this many recent questions are kept: a repeated question skips the model."""
PER_RANKER = 3
"""Each ranker's best passages are considered even when fusion ranks them lower."""


@dataclass(frozen=True)
class SearchResponse:
    query: str
    searched_for: str
    """The query after follow-up resolution; equal to `query` when it stands alone."""
    results: list[SearchResult]

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "searched_for": self.searched_for,
            "results": [
                {
                    "article_id": r.passage.article_id,
                    "title": r.title,
                    "paragraph": r.passage.paragraph,
                    "page": r.passage.page,
                    "passage_id": r.passage.passage_id,
                    "text": r.passage.text,
                    "score": r.score,
                    "dense": r.dense,
                    "bm25": r.bm25,
                }
                for r in self.results
            ],
        }


@dataclass(frozen=True)
class Context:
    """A cited passage with the paragraphs around it, in article order."""

    article: ArticleRecord
    passages: list[PassageRecord]
    focus: int
    """Index in `passages` of the cited one."""


@dataclass(frozen=True)
class Status:
    model: str
    version: str
    articles: list[ArticleRecord]
    passages: int
    index_bytes: int


@dataclass(frozen=True)
class ArticleView:
    article: ArticleRecord
    passages: list[PassageRecord]
    dropped: list[Dropped] = field(default_factory=list)


class Engine:
    """Holds the model and the live index version; safe to share between threads."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        answer_model: AnswerModel | None = None,
        store: Store | None = None,
    ) -> None:
        """Pass an already warm `embedder` to share one loaded model between engines; the
        answer model defaults to the committed one (qa/models/), checked against its manifest;
        the store defaults to the one settings.store names (qa.storage.open_store)."""
        self.settings = settings
        self.answer_model = answer_model or load_answer_model()
        self.embedder = embedder or embedder_for(settings)
        wanted = vector_model(settings.model, settings.backend)
        if self.embedder.model_name != wanted:
            raise ConfigError(f"embedder uses {self.embedder.model_name!r} but settings ask for {wanted!r}")
        self.store = store or open_store(settings.store, settings.index_dir, settings.qdrant_api_key)
        self._version: Searchable | None = None
        self._lock = threading.Lock()
        self._articles = ArticleMemo(settings.index_dir / ARTICLE_SHELF)
        self._query_vector = functools.lru_cache(maxsize=QUERY_CACHE)(self._embed_query)

    def _embed_query(self, text: str) -> np.ndarray:
        vector = self.embedder.embed([text])[0]
        vector.setflags(write=False)
        return vector

    def warm_up(self) -> None:
        """Load the model and the index now rather than on the first question."""
        import faiss

        faiss.omp_set_num_threads(1)
        self.embedder.warm_up()
        self.version()

    def index(self, *, full: bool = False, progress: Progress | None = None, lock_timeout: float = 300.0) -> SyncReport:
        return self.store.sync(
            self.settings.corpus_dir,
            self.embedder,
            full=full,
            progress=progress,
            lock_timeout=lock_timeout,
            memo=self._articles,
        )

    def update(
        self, paths: Sequence[Path], *, progress: Progress | None = None, lock_timeout: float = 300.0
    ) -> SyncReport:
        """Index just these corpus files (added, changed or deleted), without walking the folder."""
        return self.store.update(
            self.settings.corpus_dir,
            paths,
            self.embedder,
            progress=progress,
            lock_timeout=lock_timeout,
            memo=self._articles,
        )

    def describe(
        self,
        article_id: str,
        title: str | None,
        source: str | None,
        date: str | None,
        *,
        progress: Progress | None = None,
    ) -> SyncReport:
        """Set an article's title, source and date (blank: as cleaning found them), kept
        beside the corpus (qa.metadata), and re-index that article."""
        record = self.version().article(article_id)
        if record is None:
            raise ArticleNotFoundError(f"no article {article_id!r} in the index; `qa list` shows the ids")
        metadata.save(self.settings.corpus_dir, article_id, metadata.checked(title, source, date))
        return self.update([self.settings.corpus_dir / record.path], progress=progress)

    def version(self) -> Searchable:
        """The live version: built if missing, rebuilt if damaged or from another model,
        and reloaded whenever a rebuild (here or in another process) has switched it."""
        with self._lock:
            name = self.store.current_name()
            if self._version is not None and name == self._version.name:
                return self._version
            version = self._open()
            if version.model != self.embedder.model_name:
                log.warning("index was built with %s; rebuilding for %s", version.model, self.embedder.model_name)
                version.close()
                self.index()
                version = self._open()
            self._version = version
            return version

    def _open(self) -> Searchable:
        for _ in range(3):
            name = self.store.current_name()
            try:
                return self.store.open()
            except IndexCorruptError:
                if self.store.current_name() == name:
                    break
                log.info("index switched while opening it; opening the new version")
            except (IndexMissingError, IndexMismatchError) as exc:
                log.warning("%s; building the index from %s", exc, self.settings.corpus_dir)
                break
        self.index()
        return self.store.open()

    def search(
        self, query: str, k: int = 5, history: list[Turn] | None = None, where: Filter | None = None
    ) -> SearchResponse:
        searched_for, vector, version = self._prepare(query, k, history)
        only = _rows(version, where)
        return SearchResponse(
            check_query(query), searched_for, hybrid_search(version, searched_for, vector, k, only=only)
        )

    def ask(
        self,
        question: str,
        history: list[Turn] | None = None,
        k: int = DEFAULT_PASSAGES,
        where: Filter | None = None,
    ) -> Answer:
        """An extractive answer from the `k` best passages (of the articles `where` selects),
        every sentence cited and verified."""
        searched_for, vector, version = self._prepare(question, k, history)
        only = _rows(version, where)
        results = hybrid_search(version, searched_for, vector, k, per_ranker=PER_RANKER, only=only)
        return render(
            check_query(question),
            searched_for,
            draft(version, self.answer_model, searched_for, vector, results),
            version,
        )

    def _prepare(self, query: str, k: int, history: list[Turn] | None) -> tuple[str, np.ndarray, Searchable]:
        """The follow-up-resolved query, its vector, and the version to answer from."""
        query = check_query(query)
        if not 1 <= k <= MAX_K:
            raise QueryError(f"k must be between 1 and {MAX_K}, got {k}")
        searched_for = contextualize(query, history or [])
        return searched_for, self._query_vector(searched_for), self.version()

    def articles(self) -> list[ArticleRecord]:
        return self.version().articles()

    def show(self, article_id: str) -> ArticleView:
        version = self.version()
        record = version.article(article_id)
        if record is None:
            known = [a.article_id for a in version.articles() if article_id.lower() in a.article_id.lower()]
            hint = f"; did you mean {', '.join(known[:5])}?" if known else "; `qa list` shows the ids"
            raise ArticleNotFoundError(f"no article {article_id!r} in the index{hint}")
        return ArticleView(record, version.article_passages(article_id), version.dropped(article_id))

    def context(self, passage_id: str, around: int = 2) -> Context:
        """The passage `passage_id` and up to `around` passages either side of it."""
        article_id = passage_id.rsplit("#", 1)[0]
        view = self.show(article_id)
        ids = [p.passage_id for p in view.passages]
        if passage_id not in ids:
            raise ArticleNotFoundError(f"no passage {passage_id!r} in the index; it may have changed since")
        at = ids.index(passage_id)
        start = max(at - around, 0)
        return Context(view.article, view.passages[start : at + around + 1], at - start)

    def close(self) -> None:
        """Close the live version and the store, so another process may open them."""
        with self._lock:
            if self._version is not None:
                self._version.close()
                self._version = None
            self.store.close()

    def status(self) -> Status:
        version = self.version()
        return Status(version.model, version.name, version.articles(), version.passage_count, version.disk_bytes())


def _rows(version: Searchable, where: Filter | None) -> np.ndarray | None:
    """The passage rows a filter allows, or None for no filter."""
    if where is None or not where.active:
        return None
    return version.passage_rows(where.select(version.articles()))


def check_query(query: str) -> str:
    """The stripped query, or a QueryError a user can act on."""
    if query is not None and not isinstance(query, str):
        raise QueryError(f"the question must be text, got {type(query).__name__}")
    printable = "".join(c for c in query if c.isprintable() or c.isspace()) if query else ""
    cleaned = " ".join(printable.split())
    if not cleaned:
        raise QueryError("the question is empty; type what you want to know")
    if len(cleaned) > MAX_QUERY_CHARS:
        raise QueryError(f"the question is {len(cleaned):,} characters; keep it under {MAX_QUERY_CHARS:,}")
    return cleaned
