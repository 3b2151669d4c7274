"""Keep the index in a Qdrant Edge shard (qdrant-edge-py): the engine's other Store.

Three kinds of point share one shard, told apart by their `kind` payload:
- article: its record and content hash, what a sync compares;
- passage: text and place, the mean of its sentences' vectors as `dense`, its BM25 term
  weights as the sparse `bm25` vector (Qdrant applies the idf: Modifier.Idf), its stems in
  `terms` (keyword-indexed, so a term's document count is one count request) and its
  sentences' offsets;
- sentence: its vector, which ranks passages by their best sentence and feeds the answer
  model.
Ids are stable hashes of article, passage and sentence ids, so a changed article is
overwritten in place and then its leftover points are deleted: a question asked during a
sync never finds the article missing. Its article point is written last, so a sync that
dies half-way leaves the article looking stale and the next one writes it again.

Fusion, best-sentence ranking and answering are the shared code's (qa.retrieval,
qa.answer), so both stores give the same answers; Qdrant does the dense, sparse and
filtered searches. One process opens a shard at a time (Qdrant Edge is embedded).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qa.articles import Article, ArticleMemo, Dropped
from qa.errors import IndexBusyError, IndexCorruptError, IndexMissingError
from qa.indexer import SyncReport, compare, embed_texts, read_corpus
from qa.keywords import KeywordHit, KeywordIndex, bm25_idf
from qa.passages import Passage, passages_of, text_hash
from qa.segments import REMEMBERED, DenseHit
from qa.sentences import split_sentences
from qa.vectors import Embedder, Progress, VectorCache, mean_vectors
from qa.version import ArticleRecord, PassageRecord
from qa.writer import SentenceRecord

DENSE = "dense"
SPARSE = "bm25"
BM25_K1 = 1.5
BM25_B = 0.75
"""bm25s's (Lucene's) defaults, so keyword scores mean what the folder store's do."""
AVERAGE_TERMS = 30.0
"""Length normalisation needs the average passage length in terms; a shard updated in
place cannot renormalise old points, so it is fixed (news paragraphs run 20-40 terms;
Qdrant's own Bm25 fixes avg_len likewise)."""
META_ID = 0
PAGE = 512
"""Points per scroll or upsert request."""


def point_id(key: str) -> int:
    """A stable 63-bit id for an article, passage or sentence key (never 0, the meta point)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") >> 1 or 1


def term_index(term: str) -> int:
    """The sparse dimension of a stem: a stable 32-bit hash (Qdrant's indices are u32)."""
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "big")


def bm25_weights(counts: dict[str, int]) -> dict[str, float]:
    """BM25's term-frequency part per term (Robertson & Zaragoza 2009); idf comes at query time."""
    length = sum(counts.values())
    norm = BM25_K1 * (1 - BM25_B + BM25_B * length / AVERAGE_TERMS)
    return {t: n * (BM25_K1 + 1) / (n + norm) for t, n in counts.items()}


def _kind(kind: str) -> Any:
    import qdrant_edge as q

    return q.FieldCondition("kind", match=q.MatchValue(kind))


def _passages_filter(only: np.ndarray | None = None, article_ids: Sequence[str] | None = None) -> Any:
    import qdrant_edge as q

    must = [_kind("passage")]
    if only is not None:
        must.append(q.HasIdCondition({int(r) for r in only}))
    if article_ids is not None:
        must.append(q.FieldCondition("article_id", match=q.MatchAny(list(article_ids))))
    return q.Filter(must=must)


class QdrantStore:
    """A Qdrant Edge shard in `folder`, created by the first sync (when the model's
    dimension is known)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.RLock()
        self._shard: Any = None
        self._analyzer = KeywordIndex(None)

    def _open_shard(self) -> Any:
        if self._shard is None and (self.folder / "edge_config.json").exists():
            import qdrant_edge as q

            try:
                self._shard = q.EdgeShard.load(str(self.folder))
            except Exception as exc:  # qdrant-edge raises a bare Exception for every failure
                if "WouldBlock" in str(exc):
                    raise IndexBusyError(
                        f"the Qdrant Edge shard {self.folder} is open in another process (the app?); "
                        "Qdrant Edge is embedded, so stop that process first, or run a Qdrant server"
                    ) from exc
                raise IndexCorruptError(f"cannot open the Qdrant Edge shard {self.folder}: {exc}") from exc
        return self._shard

    def close(self) -> None:
        """Release the shard, so another process may open it."""
        with self._lock:
            if self._shard is not None:
                self._shard.close()
                self._shard = None

    def _create_shard(self, dimension: int) -> Any:
        import qdrant_edge as q

        config = q.EdgeConfig(
            vectors={DENSE: q.EdgeVectorParams(size=dimension, distance=q.Distance.Dot)},
            sparse_vectors={SPARSE: q.EdgeSparseVectorParams(modifier=q.Modifier.Idf)},
        )
        shard = q.EdgeShard.create(str(self.folder), config)
        for field in ("kind", "article_id", "terms"):
            shard.update(q.UpdateOperation.create_field_index(field, q.PayloadSchemaType.Keyword))
        self._shard = shard
        return shard

    def _meta(self) -> dict[str, Any]:
        shard = self._open_shard()
        if shard is None:
            return {}
        found = shard.retrieve([META_ID], True, False)
        return dict(found[0].payload) if found else {}

    def current_name(self) -> str | None:
        with self._lock:
            return self._meta().get("version")

    def open(self) -> QdrantVersion:
        with self._lock:
            meta = self._meta()
            if not meta:
                raise IndexMissingError(f"no index in {self.folder}; run `qa index` to build it")
            return QdrantVersion(self, meta["version"], meta["model"])

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
        """Bring the shard in line with the corpus folder, embedding only new text."""
        started = time.perf_counter()
        articles, report = read_corpus(corpus_dir, memo)
        with self._lock:
            meta = self._meta()
            if meta and meta["model"] != embedder.model_name:
                report.rebuild_reason = f"the index was built with model {meta['model']!r}"
                self._set_aside()
                meta = {}
            if full and report.rebuild_reason is None:
                report.rebuild_reason = "full rebuild requested: re-embedding every passage"
            current = {a.article_id: a for a in articles}
            compare(report, self._article_hashes(), current)
            report.passages = sum(len(passages_of(a, embedder.max_words)) for a in articles)
            if meta and not (report.added or report.changed or report.removed or report.rebuild_reason):
                report.seconds = time.perf_counter() - started
                return report
            shard = self._open_shard() or self._create_shard(embedder.dimension)
            fresh = articles if full else [current[a] for a in sorted({*report.added, *report.changed})]
            self._write(shard, fresh, embedder, report, full, progress, self.folder.parent / "cache.sqlite")
            if report.removed:
                self._delete(shard, report.removed)
            report.version = self._name(current)
            self._put_meta(shard, report.version, embedder.model_name)
        report.seconds = time.perf_counter() - started
        return report

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
        """A sync: comparing content hashes already limits the work to the changed files."""
        return self.sync(corpus_dir, embedder, progress=progress, lock_timeout=lock_timeout, memo=memo)

    def _set_aside(self) -> None:
        """A shard from another model is kept beside the new one, never deleted."""
        self.close()
        aside = self.folder.with_name(f"{self.folder.name}.set-aside-{int(time.time())}")
        shutil.move(str(self.folder), str(aside))

    def _article_hashes(self) -> dict[str, str]:
        return {p["article_id"]: p["content_hash"] for p in self.scroll(_kind("article"))}

    def scroll(self, condition: Any) -> list[dict[str, Any]]:
        """Payloads (with "id") of every point matching `condition`."""
        import qdrant_edge as q

        shard = self._open_shard()
        if shard is None:
            return []
        found: list[dict[str, Any]] = []
        offset = None
        while True:
            records, offset = shard.scroll(
                q.ScrollRequest(offset=offset, limit=PAGE, filter=q.Filter(must=[condition]), with_payload=True)
            )
            found += [{**r.payload, "id": r.id} for r in records]
            if offset is None:
                return found

    def _write(
        self,
        shard: Any,
        articles: list[Article],
        embedder: Embedder,
        report: SyncReport,
        full: bool,
        progress: Progress | None,
        cache_path: Path,
    ) -> None:
        import qdrant_edge as q

        passages = [p for a in articles for p in passages_of(a, embedder.max_words)]
        spans = [(row, s) for row, p in enumerate(passages) for s in split_sentences(p.text)]
        texts = [s.text for _, s in spans]
        cache = VectorCache(cache_path)
        vectors, report.embedded = embed_texts(texts, embedder, cache, full, progress)
        report.sentences = len(spans)
        means = mean_vectors(vectors, [row for row, _ in spans], len(passages))
        by_passage: dict[int, list[tuple[int, int]]] = {}
        points = []
        for (row, sentence), vector in zip(spans, vectors, strict=True):
            index = len(by_passage.setdefault(row, []))
            by_passage[row].append((sentence.start, sentence.end))
            key = f"{passages[row].passage_id}@{index}"
            payload = {"kind": "sentence", "article_id": passages[row].article_id}
            points.append(q.Point(point_id(key), {DENSE: vector.tolist()}, payload))
        for row, passage in enumerate(passages):
            points.append(self._passage_point(passage, means[row], by_passage.get(row, [])))
        now = datetime.now(UTC).isoformat(timespec="seconds")
        kept = {p.id for p in points}
        for start in range(0, len(points), PAGE):
            shard.update(q.UpdateOperation.upsert_points(points[start : start + PAGE]))
        for article in articles:
            stale = q.Filter(
                must=[q.FieldCondition("article_id", match=q.MatchValue(article.article_id))],
                must_not=[q.HasIdCondition(kept | {point_id("article:" + article.article_id)})],
            )
            shard.update(q.UpdateOperation.delete_points_by_filter(stale))
        shard.update(q.UpdateOperation.upsert_points([self._article_point(a, now) for a in articles]))

    def _passage_point(self, passage: Passage, vector: np.ndarray, sentences: list[tuple[int, int]]) -> Any:
        import qdrant_edge as q

        weights = bm25_weights(dict(self._analyzer.query_terms(passage.text)))
        sparse = {term_index(t): w for t, w in weights.items()}
        payload = {
            "kind": "passage",
            "article_id": passage.article_id,
            "passage_id": passage.passage_id,
            "paragraph": passage.paragraph,
            "part": passage.part,
            "parts": passage.parts,
            "text": passage.text,
            "page": passage.page,
            "terms": sorted(weights),
            "sentences": [list(s) for s in sentences],
        }
        vectors = {DENSE: vector.tolist(), SPARSE: q.SparseVector(list(sparse), list(sparse.values()))}
        return q.Point(point_id(passage.passage_id), vectors, payload)

    @staticmethod
    def _article_point(article: Article, indexed_at: str) -> Any:
        import qdrant_edge as q

        payload = {
            "kind": "article",
            "article_id": article.article_id,
            "path": article.path,
            "title": article.title,
            "display_title": article.display_title,
            "source": article.source,
            "date": article.date,
            "paragraphs": len(article.paragraphs),
            "content_hash": article.content_hash,
            "indexed_at": indexed_at,
            "dropped": json.dumps([asdict(d) for d in article.dropped]),
        }
        return q.Point(point_id("article:" + article.article_id), {}, payload)

    @staticmethod
    def _delete(shard: Any, article_ids: list[str]) -> None:
        import qdrant_edge as q

        gone = q.Filter(must=[q.FieldCondition("article_id", match=q.MatchAny(article_ids))])
        shard.update(q.UpdateOperation.delete_points_by_filter(gone))

    @staticmethod
    def _name(articles: dict[str, Article]) -> str:
        """Names the shard's content: the same articles always give the same name."""
        digest = text_hash("".join(f"{a}\0{articles[a].content_hash}\0" for a in sorted(articles)))
        return f"qdrant-{digest[:16]}"

    @staticmethod
    def _put_meta(shard: Any, name: str, model: str) -> None:
        import qdrant_edge as q

        shard.update(
            q.UpdateOperation.upsert_points([q.Point(META_ID, {}, {"kind": "meta", "version": name, "model": model})])
        )
        shard.flush()

    def query(self, request: Any) -> list[Any]:
        with self._lock:
            return self._open_shard().query(request)

    def count(self, condition: Any) -> int:
        import qdrant_edge as q

        with self._lock:
            return int(self._open_shard().count(q.CountRequest(exact=True, filter=condition)))

    def retrieve(self, ids: Sequence[int], *, vectors: bool = False) -> list[Any]:
        with self._lock:
            return self._open_shard().retrieve([int(i) for i in ids], True, [DENSE] if vectors else False)


class QdrantVersion:
    """The shard as the Searchable view answering reads (qa.searchable)."""

    def __init__(self, store: QdrantStore, name: str, model: str) -> None:
        self.name = name
        self._model = model
        self._store = store
        self.segments = QdrantKeywords(store)

    @property
    def model(self) -> str:
        return self._model

    @property
    def passage_count(self) -> int:
        return self.segments.documents

    def dense_search(self, vector: np.ndarray, k: int, only: np.ndarray | None = None) -> list[DenseHit]:
        import qdrant_edge as q

        request = q.QueryRequest(
            limit=k, query=q.Query.Nearest(vector.tolist(), using=DENSE), filter=_passages_filter(only)
        )
        return [DenseHit(int(p.id), float(p.score)) for p in self._store.query(request)]

    def passage_rows(self, article_ids: Sequence[str]) -> np.ndarray:
        found = self._store.scroll(_passages_filter(article_ids=article_ids))
        return np.array(sorted(p["id"] for p in found), dtype=np.int64)

    def passages(self, rows: Sequence[int]) -> list[PassageRecord]:
        found = {r.id: _passage(r.id, r.payload) for r in self._store.retrieve(rows)}
        return [found[int(row)] for row in rows]

    def sentences(self, passage_rows: Sequence[int]) -> list[SentenceRecord]:
        """In reading order: by article, paragraph and part, then within the passage."""
        records = sorted(
            self._store.retrieve(passage_rows),
            key=lambda r: (r.payload["article_id"], r.payload["paragraph"], r.payload["part"]),
        )
        return [
            SentenceRecord(point_id(f"{r.payload['passage_id']}@{i}"), int(r.id), start, end)
            for r in records
            for i, (start, end) in enumerate(r.payload["sentences"])
        ]

    def sentence_vectors(self, rows: Sequence[int]) -> np.ndarray:
        found = {r.id: r.vector[DENSE] for r in self._store.retrieve(rows, vectors=True)}
        return np.array([found[int(row)] for row in rows], dtype=np.float32).reshape(len(rows), -1)

    def articles(self) -> list[ArticleRecord]:
        return sorted((_article(p) for p in self._store.scroll(_kind("article"))), key=lambda a: a.article_id)

    def _article_payload(self, article_id: str) -> dict[str, Any] | None:
        found = self._store.retrieve([point_id("article:" + article_id)])
        return dict(found[0].payload) if found else None

    def article(self, article_id: str) -> ArticleRecord | None:
        payload = self._article_payload(article_id)
        return _article(payload) if payload else None

    def display_title(self, article_id: str) -> str:
        payload = self._article_payload(article_id)
        return payload["display_title"] if payload else article_id

    def article_passages(self, article_id: str) -> list[PassageRecord]:
        found = self._store.scroll(_passages_filter(article_ids=[article_id]))
        return sorted((_passage(p["id"], p) for p in found), key=lambda p: (p.paragraph, p.part))

    def dropped(self, article_id: str) -> list[Dropped]:
        payload = self._article_payload(article_id)
        return [Dropped(**d) for d in json.loads(payload["dropped"])] if payload else []

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self._store.folder.rglob("*") if p.is_file())

    def close(self) -> None:
        """The store owns the shard; a view holds nothing of its own."""


class QdrantKeywords:
    """BM25 through the shard's sparse vectors, and the vocabulary features weigh words by."""

    def __init__(self, store: QdrantStore) -> None:
        self._store = store
        self._analyzer = KeywordIndex(None)
        self._documents: int | None = None
        self.terms = lru_cache(maxsize=REMEMBERED)(self._terms)
        self.idf = lru_cache(maxsize=REMEMBERED)(self._idf)
        self.df = lru_cache(maxsize=REMEMBERED)(self._df)

    def _terms(self, text: str) -> tuple[str, ...]:
        return tuple(self._analyzer.terms(text))

    def words(self, text: str) -> list[str]:
        return self._analyzer.words(text)

    @property
    def documents(self) -> int:
        if self._documents is None:
            self._documents = self._store.count(_passages_filter())
        return self._documents

    def _df(self, term: str) -> int:
        import qdrant_edge as q

        return self._store.count(q.Filter(must=[_kind("passage"), q.FieldCondition("terms", match=q.MatchValue(term))]))

    def knows(self, term: str) -> bool:
        return self.df(term) > 0

    def _idf(self, term: str) -> float:
        return bm25_idf(self.df(term), self.documents)

    def search(self, query: str, k: int, only: np.ndarray | None = None) -> list[KeywordHit]:
        import qdrant_edge as q

        counts = self._analyzer.query_terms(query)
        if not counts:
            return []
        sparse = q.SparseVector([term_index(t) for t in counts], [float(n) for n in counts.values()])
        request = q.QueryRequest(limit=k, query=q.Query.Nearest(sparse, using=SPARSE), filter=_passages_filter(only))
        hits = [KeywordHit(int(p.id), float(p.score)) for p in self._store.query(request) if p.score > 0]
        return sorted(hits, key=lambda hit: (-hit.score, hit.row))


def _passage(row: int, p: dict[str, Any]) -> PassageRecord:
    return PassageRecord(
        int(row), p["passage_id"], p["article_id"], p["paragraph"], p["part"], p["parts"], p["text"], p["page"]
    )


def _article(p: dict[str, Any]) -> ArticleRecord:
    return ArticleRecord(
        p["article_id"],
        p["path"],
        p["title"],
        p["display_title"],
        p["source"],
        p["date"],
        p["paragraphs"],
        p["content_hash"],
        p["indexed_at"],
    )
