"""Keep the points in a collection on a Qdrant server or cluster, through qdrant-client."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from qa.errors import ConfigError, IndexMismatchError, StoreUnavailableError
from qa.qdrant.points import DENSE, KEYWORD_FIELDS, PAGE, SPARSE, Found, PointData, Scored, Where, to_filter

DEFAULT_PORT = 6333
DEFAULT_COLLECTION = "corpus_qa"
P = ParamSpec("P")
R = TypeVar("R")


def _reachable(method: Callable[P, R]) -> Callable[P, R]:
    """Turn a refused connection or a server's error into one message a user can act on."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

        try:
            return method(*args, **kwargs)
        except (ResponseHandlingException, UnexpectedResponse, ConnectionError) as exc:
            where = getattr(args[0], "where", "the Qdrant server")
            raise StoreUnavailableError(f"{where}: {exc}; is the Qdrant server running and reachable?") from exc

    return call


class ClientBackend:
    """A collection on a Qdrant server or cluster, through qdrant-client."""

    def __init__(self, client: Any, collection: str, where: str) -> None:
        self.client = client
        self.collection = collection
        self.where = where

    @classmethod
    def from_url(cls, url: str, api_key: str | None = None) -> ClientBackend:
        """`qdrant://host[:port][/collection]`, or `qdrants://` for HTTPS (Qdrant Cloud).
        Nothing is sent until the first request: the client's version check, which would
        connect here, is off (the client is pinned; a server too old fails its first call)."""
        from qdrant_client import QdrantClient

        parts = urlsplit(url)
        if parts.scheme not in ("qdrant", "qdrants") or not parts.hostname:
            raise ConfigError(f"not a Qdrant address: {url!r}; write qdrant://host:port/collection")
        collection = parts.path.strip("/") or DEFAULT_COLLECTION
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError as exc:
            raise ConfigError(f"bad port in {url!r}: {exc}") from exc
        https = parts.scheme == "qdrants"
        client = QdrantClient(
            host=parts.hostname, port=port, https=https, api_key=api_key, timeout=30, check_compatibility=False
        )
        return cls(client, collection, f"Qdrant at {parts.hostname}:{port}, collection {collection!r}")

    @_reachable
    def exists(self) -> bool:
        return bool(self.client.collection_exists(self.collection))

    @_reachable
    def create(self, dimension: int) -> None:
        from qdrant_client import models as m

        self.client.create_collection(
            self.collection,
            vectors_config={DENSE: m.VectorParams(size=dimension, distance=m.Distance.DOT)},
            sparse_vectors_config={SPARSE: m.SparseVectorParams(modifier=m.Modifier.IDF)},
        )
        for name in KEYWORD_FIELDS:
            self.client.create_payload_index(self.collection, name, field_schema=m.PayloadSchemaType.KEYWORD)

    @_reachable
    def upsert(self, points: Sequence[PointData]) -> None:
        from qdrant_client import models as m

        def vectors(p: PointData) -> dict[str, Any]:
            found: dict[str, Any] = {DENSE: p.dense} if p.dense is not None else {}
            if p.sparse:
                found[SPARSE] = m.SparseVector(indices=list(p.sparse), values=list(p.sparse.values()))
            return found

        for start in range(0, len(points), PAGE):
            page = [m.PointStruct(id=p.id, vector=vectors(p), payload=p.payload) for p in points[start : start + PAGE]]
            self.client.upsert(self.collection, points=page, wait=True)

    @_reachable
    def delete(self, where: Where) -> None:
        from qdrant_client import models as m

        selector = m.FilterSelector(filter=to_filter(m, where, False))
        self.client.delete(self.collection, points_selector=selector, wait=True)

    @_reachable
    def retrieve(self, ids: Sequence[int], *, vectors: bool = False) -> list[Found]:
        records = self.client.retrieve(
            self.collection, [int(i) for i in ids], with_payload=True, with_vectors=[DENSE] if vectors else False
        )
        return [Found(int(r.id), dict(r.payload or {}), r.vector[DENSE] if vectors else None) for r in records]

    @_reachable
    def scroll(self, where: Where) -> list[Found]:
        from qdrant_client import models as m

        found: list[Found] = []
        offset = None
        while True:
            records, offset = self.client.scroll(
                self.collection, scroll_filter=to_filter(m, where, False), limit=PAGE, offset=offset, with_payload=True
            )
            found += [Found(int(r.id), dict(r.payload or {}), None) for r in records]
            if offset is None:
                return found

    @_reachable
    def count(self, where: Where) -> int:
        from qdrant_client import models as m

        return int(self.client.count(self.collection, count_filter=to_filter(m, where, False), exact=True).count)

    @_reachable
    def nearest(
        self, vector: list[float] | dict[int, float], k: int, where: Where, hnsw_ef: int | None = None
    ) -> list[Scored]:
        from qdrant_client import models as m

        if isinstance(vector, dict):
            query: Any = m.SparseVector(indices=list(vector), values=list(vector.values()))
            using = SPARSE
        else:
            query, using = vector, DENSE
        found = self.client.query_points(
            self.collection,
            query=query,
            using=using,
            limit=k,
            query_filter=to_filter(m, where, False),
            search_params=m.SearchParams(hnsw_ef=hnsw_ef) if hnsw_ef else None,
        )
        return [Scored(int(p.id), float(p.score)) for p in found.points]

    def flush(self) -> None:
        """Every write waited for the server's acknowledgement (wait=True)."""

    def disk_bytes(self) -> int:
        """The collection lives on the server's disks, not this one."""
        return 0

    def set_aside(self, reason: str) -> None:
        raise IndexMismatchError(
            f"{self.where} holds an index built with {reason}; point QA_STORE at another collection "
            "(qdrant://host:port/name) or delete this one in Qdrant: it is not deleted for you"
        )

    def close(self) -> None:
        self.client.close()
