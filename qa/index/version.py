"""Open one index version: its base and delta segments, checked, searched as one."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qa.errors import IndexCorruptError
from qa.index import ann
from qa.index.catalog import Catalog
from qa.index.checksums import Verified
from qa.index.format import (
    DELTA,
    KEYWORDS,
    SENTENCE_VECTORS,
    VECTORS,
    Manifest,
)
from qa.index.keywords import KeywordIndex
from qa.index.segments import DenseHit, Segment, Segments


class IndexVersion(Catalog):
    """One whole, read-only index version: its catalog (qa.index.catalog) and its segments'
    vectors and keywords (qa.index.segments), checked against each other and the manifest
    when opened, so a damaged or mismatched file is refused rather than answered from."""

    def __init__(self, folder: Path, *, mapped: bool = False, verified: Verified | None = None) -> None:
        """`mapped`: memory-map IVF lists too (see IndexStore.open), and check only the
        files' sizes, not their checksums; `verified` remembers files already checked."""
        self.name = folder.name
        self.folder = folder
        self._mapped = mapped
        manifest = Manifest.read(folder)
        (verified or Verified()).check(folder, manifest.checksums, contents=not mapped)
        try:
            super().__init__(folder, manifest)
            segments = [self._open_segment(folder, ann.VectorIndexKind(manifest.faiss_index, manifest.nprobe))]
            if self.has_delta:
                segments.append(self._open_segment(folder / DELTA, ann.VectorIndexKind("IndexFlatIP")))
        except (RuntimeError, OSError, ValueError, sqlite3.DatabaseError) as exc:
            raise IndexCorruptError(f"cannot read index version {folder}: {exc}") from exc
        self.segments = Segments(segments, self.hidden_rows)
        if self.segments.live_rows != manifest.passages:
            raise IndexCorruptError(
                f"index version {folder} is inconsistent: {self.segments.live_rows} live passages, "
                f"manifest says {manifest.passages}"
            )

    def _open_segment(self, folder: Path, kind: ann.VectorIndexKind) -> Segment:
        """One segment, checked: as many vectors as passage rows, and sentence vectors as sentence rows."""
        base = folder == self.folder
        schema = "main" if base else "delta"
        offsets = (0, 0) if base else (self.manifest.base_passages, self.manifest.base_sentences)
        expected = (
            (self.manifest.base_passages, self.manifest.base_sentences)
            if base
            else (self.manifest.delta_passages, self.manifest.delta_sentences)
        )
        faiss_index = ann.open_index(folder / VECTORS, kind, mapped=self._mapped)
        rows, sentences = self.row_ranges(schema)
        sentence_vectors = np.load(folder / SENTENCE_VECTORS, mmap_mode="r")
        keywords = KeywordIndex.load(folder / KEYWORDS)
        found = (faiss_index.ntotal, len(rows), keywords.documents or len(rows))
        shape = (len(sentences), self.manifest.dimension)
        numbered = all(not r or r.start == o for r, o in zip((rows, sentences), offsets, strict=True))
        counted = set(found) == {expected[0]} and len(sentences) == expected[1]
        if not (counted and numbered and sentence_vectors.shape == shape):
            raise IndexCorruptError(
                f"index segment {folder} is inconsistent: {faiss_index.ntotal} vectors, passage rows {rows}, "
                f"{keywords.documents} keyword rows, manifest says {expected[0]}; "
                f"{sentence_vectors.shape} sentence vectors for sentence rows {sentences} "
                f"(manifest: {expected[1]} from {offsets})"
            )
        if faiss_index.d != self.manifest.dimension:
            raise IndexCorruptError(
                f"index segment {folder} has dimension {faiss_index.d}, not {self.manifest.dimension}"
            )
        return Segment(faiss_index, keywords, sentence_vectors, offsets[0], offsets[1], kind.nprobe)

    @property
    def passage_count(self) -> int:
        return self.manifest.passages

    @property
    def model(self) -> str:
        return self.manifest.model

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())

    def dense_search(self, vector: np.ndarray, k: int, only: np.ndarray | None = None) -> list[DenseHit]:
        """Hits (row, cosine) of live passages (of the rows `only`, if given), best first."""
        return self.segments.dense(vector, k, only=only)[0]

    def sentence_vectors(self, rows: Sequence[int]) -> np.ndarray:
        return self.segments.sentence_vectors(rows)
