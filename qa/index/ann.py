"""Choose, build and open the FAISS index for a version's passage vectors.

Exact inner-product search (IndexFlatIP) is used while it is fast: about 7 ms per query
at 100k × 384 on one thread, 55 ms at 1M. Above FLAT_LIMIT vectors an inverted-file index
(IVF, Jégou, Douze & Schmid, "Product quantization for nearest neighbor search", TPAMI
2011, §IV) scans only the lists nearest the query. Within them it compares 4-bit product
quantization codes with FAISS's fast-scan kernels (André, Kermarrec & Le Scouarnec,
"Accelerated nearest neighbor search with Quick ADC", ICMR 2017), then rescores the best
K_FACTOR × k candidates with the float vectors (IndexRefineFlat), so what is returned is
ranked by exact cosine. nlist ≈ √n keeps training cheap enough to redo on every rebuild.

`make bench-scale` chose the numbers, at 1M passages on one core: recall@5 against exact
search reached 0.99 only once a tenth of the lists were probed (IVF1000,Flat: 0.952 at 48
lists, 0.992 at 96), and scanning a tenth of 1M float vectors costs 6.7 ms; the 4-bit
codes scan the same lists in 0.9 ms at the same recall (0.992, K_FACTOR 50; 20 gave
0.977). Every version is built from scratch, so a deleted passage is simply not in the
next index, whatever its type.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FLAT_LIMIT = 50_000
NPROBE = 48
"""Lists probed at least; a tenth of them (PROBED_SHARE) once there are more than 480."""
PROBED_SHARE = 0.1
K_FACTOR = 50
"""Candidates per result that the 4-bit codes propose for rescoring with the float vectors."""
TRAINING_PER_LIST = 40
"""FAISS warns below 39 training points per list; more buys little for the time."""
SEED = 1234


@dataclass(frozen=True)
class VectorIndexKind:
    """What a version's vectors.faiss holds, recorded in its manifest."""

    name: str
    """"IndexFlatIP", "IVF<nlist>,Flat" or "IVF<nlist>,PQ<m>x4fs,RFlat" (a FAISS factory string)."""
    nprobe: int = 0


def choose(count: int, dimension: int, flat_limit: int | None = None) -> VectorIndexKind:
    if count <= (FLAT_LIMIT if flat_limit is None else flat_limit):
        return VectorIndexKind("IndexFlatIP")
    nlist = max(1, min(math.isqrt(count), count // TRAINING_PER_LIST))
    nprobe = min(nlist, max(NPROBE, math.ceil(PROBED_SHARE * nlist)))
    if dimension % 2:
        return VectorIndexKind(f"IVF{nlist},Flat", nprobe)
    return VectorIndexKind(f"IVF{nlist},PQ{dimension // 2}x4fs,RFlat", nprobe)


def build(vectors: np.ndarray, kind: VectorIndexKind) -> Any:
    """A FAISS index over `vectors` (unit rows, so inner product is cosine); row i is label i."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dimension = vectors.shape[1]
    index: Any
    if kind.name == "IndexFlatIP":
        index = faiss.IndexFlatIP(dimension)
    else:
        index = faiss.index_factory(dimension, kind.name, faiss.METRIC_INNER_PRODUCT)
        ivf = faiss.extract_index_ivf(index)
        sample_size = min(len(vectors), ivf.nlist * TRAINING_PER_LIST)
        sample = np.random.default_rng(SEED).choice(len(vectors), sample_size, replace=False)
        ivf.cp.seed = SEED
        index.train(vectors[np.sort(sample)])
        ivf.nprobe = kind.nprobe
        if is_refined(index):
            index.k_factor = K_FACTOR
    if len(vectors):
        index.add(vectors)
    return index


def is_refined(index: Any) -> bool:
    """Whether the index rescores its candidates with float vectors (k_factor is in its file)."""
    import faiss

    return isinstance(index, faiss.IndexRefine)


def open_index(path: Path, kind: VectorIndexKind, *, mapped: bool = False) -> Any:
    """Read an index for searching only. Flat codes, a flat index's and the float vectors
    a refined IVF index rescores with, are always memory-mapped, not copied into RAM
    (searches read them as fast from the page cache; copying the rescoring vectors made
    opening cost 117 ms at 100k and over a second at 1M, which every one-article add
    paid); its 4-bit lists are small enough to read. A float IVF's lists are mapped only
    when `mapped` (FAISS maps either flat codes or IVF lists, not both): opening then costs
    the same at 10k vectors as at 1M, but FAISS searches mapped lists about 2.3× slower
    (5.1 ms against 2.2 ms at 100k, nprobe 48).

    A memory-mapped index must never be written to (that aborts the process), and nothing
    here does: each rebuild writes a new file.
    """
    import faiss

    if kind.name == "IndexFlatIP" or kind.name.endswith(",RFlat"):
        flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY
    else:
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mapped else 0
    index = faiss.read_index(str(path), flags)
    if kind.nprobe:
        faiss.extract_index_ivf(index).nprobe = kind.nprobe
    return index


EXACT_PAIRS_LIMIT = 20_000
"""Rows up to which `Within` compares every pair, which grows with the square (52 s at 100k here)."""
WITHIN_PROBES = 8
"""Lists `Within` probes: rows that close to a query share its nearest lists."""


class Within:
    """The rows of `vectors` whose inner product with a query is at least `threshold`:
    exact up to EXACT_PAIRS_LIMIT rows, through an IVF-Flat index above, since comparing
    every pair grows with the square of the corpus (hours at 1M). Meant for thresholds
    near 1 (near-duplicates), which the few probed lists do not miss: at 100k passages and
    0.92, eight probes missed 1 of 105,774 pairs that exact search found, in 12 s against
    52 s."""

    def __init__(self, vectors: np.ndarray, threshold: float, exact_limit: int = EXACT_PAIRS_LIMIT) -> None:
        if len(vectors) <= exact_limit:
            kind = VectorIndexKind("IndexFlatIP")
        else:
            nlist = max(1, min(math.isqrt(len(vectors)), len(vectors) // TRAINING_PER_LIST))
            kind = VectorIndexKind(f"IVF{nlist},Flat", min(nlist, WITHIN_PROBES))
        self._index = build(vectors, kind)
        # FAISS keeps inner products strictly above the radius; one float32 step below
        # `threshold` keeps those equal to it as well.
        self._radius = float(np.nextafter(np.float32(threshold), np.float32(-np.inf)))

    def search(self, queries: np.ndarray) -> list[np.ndarray]:
        """For each query, the labels of the rows within the threshold."""
        if not len(queries):
            return []
        limits, _, labels = self._index.range_search(np.ascontiguousarray(queries, dtype=np.float32), self._radius)
        return [labels[limits[i] : limits[i + 1]] for i in range(len(queries))]
