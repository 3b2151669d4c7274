"""The points the Qdrant store writes, and the Backend surface it writes them through.

The store (qa.qdrant.store) needs a dozen operations: create the collection, upsert,
delete by filter, retrieve, scroll, count, and nearest-neighbour search on the dense or
the sparse vector with a filter. qdrant-edge-py (the embedded engine, qa.qdrant.edge) and
qdrant-client (a Qdrant server or cluster, qa.qdrant.server) offer them with different
classes and signatures; each backend translates these plain dataclasses into its
library's, so the store's logic is written once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

DENSE = "dense"
SPARSE = "bm25"
KEYWORD_FIELDS = ("kind", "article_id", "terms")
"""Payload fields that filters match on, indexed so a match is a lookup, not a scan."""
PAGE = 512
"""Points per upsert or scroll request."""
META_ID = 0
"""The point holding the collection's version name and model."""


def point_id(key: str) -> int:
    """A stable 63-bit id for an article, passage or sentence key (never 0, the meta point)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") >> 1 or 1


def term_index(term: str) -> int:
    """The sparse dimension of a stem: a stable 32-bit hash (Qdrant's indices are u32)."""
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "big")


@dataclass(frozen=True)
class Where:
    """Which points an operation touches; every given condition must hold."""

    kind: str | None = None
    article_ids: Sequence[str] | None = None
    ids: frozenset[int] | None = None
    term: str | None = None
    except_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class PointData:
    id: int
    payload: dict[str, Any]
    dense: list[float] | None = None
    sparse: dict[int, float] = field(default_factory=dict)


class Found(NamedTuple):
    id: int
    payload: dict[str, Any]
    dense: list[float] | None


class Scored(NamedTuple):
    id: int
    score: float


class Backend(Protocol):
    """A Qdrant collection as the store uses it."""

    def exists(self) -> bool: ...
    def create(self, dimension: int) -> None: ...
    def upsert(self, points: Sequence[PointData]) -> None: ...
    def delete(self, where: Where) -> None: ...
    def retrieve(self, ids: Sequence[int], *, vectors: bool = False) -> list[Found]: ...
    def scroll(self, where: Where) -> list[Found]: ...
    def count(self, where: Where) -> int: ...
    def nearest(
        self, vector: list[float] | dict[int, float], k: int, where: Where, hnsw_ef: int | None = None
    ) -> list[Scored]:
        """`hnsw_ef` widens the dense graph search (Qdrant's default: the graph's ef_construct)."""
        ...

    def flush(self) -> None: ...
    def disk_bytes(self) -> int:
        """What the collection takes on this machine's disk."""
        ...

    def set_aside(self, reason: str) -> None:
        """Keep a collection of another model out of the way, never deleting it."""
        ...

    def close(self) -> None: ...


def to_filter(m: Any, where: Where, positional: bool) -> Any:
    """Our Where as `m`'s Filter: qdrant_edge takes values positionally, qdrant_client by name."""

    def match(key: str, value: Any, many: bool = False) -> Any:
        if positional:
            return m.FieldCondition(key, match=m.MatchAny(list(value)) if many else m.MatchValue(value))
        return m.FieldCondition(key=key, match=m.MatchAny(any=list(value)) if many else m.MatchValue(value=value))

    def has_id(ids: frozenset[int]) -> Any:
        return m.HasIdCondition(set(ids)) if positional else m.HasIdCondition(has_id=sorted(ids))

    must = []
    if where.kind is not None:
        must.append(match("kind", where.kind))
    if where.article_ids is not None:
        must.append(match("article_id", where.article_ids, many=True))
    if where.ids is not None:
        must.append(has_id(where.ids))
    if where.term is not None:
        must.append(match("terms", where.term))
    must_not = [has_id(where.except_ids)] if where.except_ids else None
    return m.Filter(must=must, must_not=must_not) if must_not else m.Filter(must=must)
