"""Keep the points in a Qdrant Edge shard: embedded, one process at a time."""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qa.errors import IndexBusyError, IndexCorruptError
from qa.qdrant.points import DENSE, KEYWORD_FIELDS, PAGE, SPARSE, Found, PointData, Scored, Where, to_filter


class EdgeBackend:
    """A Qdrant Edge shard in a folder (qdrant-edge-py): embedded, one process at a time."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._shard: Any = None

    def _open(self) -> Any:
        if self._shard is None:
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

    def exists(self) -> bool:
        return self._shard is not None or (self.folder / "edge_config.json").exists()

    def create(self, dimension: int) -> None:
        import qdrant_edge as q

        config = q.EdgeConfig(
            vectors={DENSE: q.EdgeVectorParams(size=dimension, distance=q.Distance.Dot)},
            sparse_vectors={SPARSE: q.EdgeSparseVectorParams(modifier=q.Modifier.Idf)},
        )
        self._shard = q.EdgeShard.create(str(self.folder), config)
        for name in KEYWORD_FIELDS:
            self._shard.update(q.UpdateOperation.create_field_index(name, q.PayloadSchemaType.Keyword))

    def upsert(self, points: Sequence[PointData]) -> None:
        import qdrant_edge as q

        def vectors(p: PointData) -> dict[str, Any]:
            found: dict[str, Any] = {DENSE: p.dense} if p.dense is not None else {}
            if p.sparse:
                found[SPARSE] = q.SparseVector(list(p.sparse), list(p.sparse.values()))
            return found

        for start in range(0, len(points), PAGE):
            page = [q.Point(p.id, vectors(p), p.payload) for p in points[start : start + PAGE]]
            self._open().update(q.UpdateOperation.upsert_points(page))

    def delete(self, where: Where) -> None:
        import qdrant_edge as q

        self._open().update(q.UpdateOperation.delete_points_by_filter(to_filter(q, where, True)))

    def retrieve(self, ids: Sequence[int], *, vectors: bool = False) -> list[Found]:
        records = self._open().retrieve([int(i) for i in ids], True, [DENSE] if vectors else False)
        return [Found(int(r.id), dict(r.payload), r.vector[DENSE] if vectors else None) for r in records]

    def scroll(self, where: Where) -> list[Found]:
        import qdrant_edge as q

        found: list[Found] = []
        offset = None
        while True:
            request = q.ScrollRequest(offset=offset, limit=PAGE, filter=to_filter(q, where, True), with_payload=True)
            records, offset = self._open().scroll(request)
            found += [Found(int(r.id), dict(r.payload), None) for r in records]
            if offset is None:
                return found

    def count(self, where: Where) -> int:
        import qdrant_edge as q

        return int(self._open().count(q.CountRequest(exact=True, filter=to_filter(q, where, True))))

    def nearest(
        self, vector: list[float] | dict[int, float], k: int, where: Where, hnsw_ef: int | None = None
    ) -> list[Scored]:
        import qdrant_edge as q

        if isinstance(vector, dict):
            query = q.Query.Nearest(q.SparseVector(list(vector), list(vector.values())), using=SPARSE)
        else:
            query = q.Query.Nearest(vector, using=DENSE)
        params = q.SearchParams(hnsw_ef=hnsw_ef) if hnsw_ef else None
        request = q.QueryRequest(limit=k, query=query, filter=to_filter(q, where, True), params=params)
        return [Scored(int(p.id), float(p.score)) for p in self._open().query(request)]

    def flush(self) -> None:
        self._open().flush()

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())

    def set_aside(self, reason: str) -> None:
        self.close()
        aside = self.folder.with_name(f"{self.folder.name}.set-aside-{int(time.time())}")
        shutil.move(str(self.folder), str(aside))

    def close(self) -> None:
        if self._shard is not None:
            self._shard.close()
            self._shard = None
