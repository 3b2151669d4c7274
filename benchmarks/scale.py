"""The stores at a million passages, side by side: `make bench-scale` (not in `make test`).

Passages are the synthetic news paragraphs of benchmarks/synth.py, embedded with the
benchmark's stand-in encoder (bench.standin_model: MiniLM's tokenizer, a static token
embedding, 384 dimensions), since MiniLM would need about 80 minutes for them here. For
each way of holding the vectors it measures, on one core: query p50 and p95 against exact
search over the same vectors (the floor, a bare IndexFlatIP: the five-line FAISS
script), recall@5 against that exact search, and peak RSS of a process that opens the
index and answers the queries, against one that holds only the model and the stored
bytes. The one-article add is the real folder store's (`qa index FILE` at 1M against
100k, bench.add_figures) and, for Qdrant Edge, one article's upsert and leftover delete
in a shard of each size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench
import synth

from qa.index import ann
from qa.qdrant.edge import EdgeBackend
from qa.qdrant.points import PointData, Where
from qa.settings import force_offline

QUERIES = 200
K = 5
EDGE_PAGE = 2048


@dataclass
class Row:
    store: str
    index: str
    build_s: float
    p50_ms: float
    p95_ms: float
    p50_ratio: float
    recall5: float
    stored_mb: float
    rss_ratio: float
    rss_mb: float


def embed(texts: list[str], model: str) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformer(model, device="cpu")
    return encoder.encode(texts, batch_size=256, normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)


def timed_search(search: object, queries: np.ndarray) -> tuple[list[float], np.ndarray]:
    """Seconds per query, one at a time (as questions arrive), and the top-K labels."""
    times, labels = [], []
    for query in queries:
        started = time.perf_counter()
        found = search(query)  # type: ignore[operator]
        times.append(time.perf_counter() - started)
        labels.append(found)
    return times, np.array(labels)


@dataclass
class Truth:
    """Exact search's answer: a hit counts if it scores at least the exact K-th score, so
    ties (near-duplicate synthetic paragraphs) do not count against an index."""

    vectors: np.ndarray
    queries: np.ndarray
    kth: np.ndarray

    def recall(self, found: np.ndarray) -> float:
        hits = [
            np.sum(self.vectors[row[row >= 0]] @ q >= kth - 1e-5) / K
            for row, q, kth in zip(found, self.queries, self.kth, strict=True)
        ]
        return float(np.mean(hits))


def peak_rss_mb(code: str) -> float:
    out = subprocess.run([sys.executable, "-c", code + f"\nprint({bench.PEAK_RSS_KB})"], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return int(out.stdout.split()[-1]) / 1024


def floor_rss_mb(model: str, stored: Path) -> float:
    """The model loaded and the index's stored bytes read into memory: what serving must hold."""
    files = [stored] if stored.is_file() else [p for p in stored.rglob("*") if p.is_file()]
    return peak_rss_mb(
        "import faiss, numpy as np\nfrom sentence_transformers import SentenceTransformer\n"
        f"SentenceTransformer({model!r}, device='cpu').encode(['x'])\n"
        f"held = [np.fromfile(p, dtype=np.uint8) for p in {[str(f) for f in files]!r}]"
    )


def size_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20


def exact_search(vectors: np.ndarray, queries: np.ndarray) -> tuple[Truth, float]:
    """The floor: a bare IndexFlatIP, its p50 per query and its K-th best scores."""
    import faiss

    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    times, _ = timed_search(lambda q: flat.search(q[None, :], K)[1][0], queries)
    return Truth(vectors, queries, flat.search(queries, K)[0][:, -1]), statistics.median(times)


def faiss_rows(name: str, factory: str, nprobes: tuple[int, ...], truth: Truth, floor_p50: float, work: Path,
               model: str) -> list[Row]:  # fmt: skip
    """One IVF index, searched at each nprobe (more lists scanned: better recall, slower)."""
    import faiss

    started = time.perf_counter()
    index = ann.build(truth.vectors, ann.VectorIndexKind(factory, nprobes[0]))
    built = time.perf_counter() - started
    path = work / f"{factory.replace(',', '_')}.faiss"
    faiss.write_index(index, str(path))
    rss = peak_rss_mb(
        "import faiss, numpy as np\nfrom sentence_transformers import SentenceTransformer\n"
        f"SentenceTransformer({model!r}, device='cpu').encode(['x'])\nfaiss.omp_set_num_threads(1)\n"
        f"index = faiss.read_index({str(path)!r})\nfaiss.extract_index_ivf(index).nprobe = {max(nprobes)}\n"
        f"q = np.load({str(work / 'queries.npy')!r})\n[index.search(x[None, :], {K}) for x in q]"
    )
    floor_rss = floor_rss_mb(model, path)
    rows = []
    for nprobe in nprobes:
        faiss.extract_index_ivf(index).nprobe = nprobe
        times, found = timed_search(lambda q: index.search(q[None, :], K)[1][0], truth.queries)
        rows.append(_row("folder", f"{name}, nprobe {nprobe}", built, times, floor_p50, truth.recall(found), path,
                         rss, floor_rss))  # fmt: skip
    return rows


def _row(store: str, name: str, built: float, times: list[float], floor_p50: float, recall5: float,
         stored: Path, rss: float, floor_rss: float) -> Row:  # fmt: skip
    p50 = statistics.median(times)
    return Row(
        store, name, round(built, 1), round(p50 * 1e3, 2), round(bench.percentile(times, 95) * 1e3, 2),
        round(p50 / floor_p50, 2), round(recall5, 4), round(size_mb(stored)), round(rss / floor_rss, 2), round(rss),
    )  # fmt: skip


def edge_config(quantized: bool) -> object:
    import qdrant_edge as q

    return q.EdgeConfig(
        vectors={"dense": q.EdgeVectorParams(size=384, distance=q.Distance.Dot)},
        hnsw_config=q.HnswIndexConfig(m=16, ef_construct=100, full_scan_threshold=10_000),
        quantization_config=q.ScalarQuantizationConfig(q.ScalarType.Int8, always_ram=True) if quantized else None,
        max_search_threads=1,
    )


def edge_shard(folder: Path, vectors: np.ndarray, quantized: bool) -> tuple[EdgeBackend, float]:
    """A shard laid out as the Qdrant store's passages: keyword-indexed kind and article id."""
    import qdrant_edge as q

    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    shard = q.EdgeShard.create(str(folder), edge_config(quantized))
    for field in ("kind", "article_id"):
        shard.update(q.UpdateOperation.create_field_index(field, q.PayloadSchemaType.Keyword))
    for start in range(0, len(vectors), EDGE_PAGE):
        rows = range(start, min(start + EDGE_PAGE, len(vectors)))
        payload = [{"kind": "passage", "article_id": f"a{r // synth.PARAGRAPHS_PER_ARTICLE}"} for r in rows]
        points = [q.Point(r + 1, {"dense": vectors[r].tolist()}, p) for r, p in zip(rows, payload, strict=True)]
        shard.update(q.UpdateOperation.upsert_points(points))
    shard.optimize()
    shard.close()
    backend = EdgeBackend(folder)
    return backend, time.perf_counter() - started


def edge_rows(name: str, efs: tuple[int, ...], truth: Truth, floor_p50: float, work: Path, model: str,
              quantized: bool) -> tuple[list[Row], EdgeBackend]:  # fmt: skip
    """One shard, searched at each hnsw_ef, filtered to passages as the Qdrant store searches."""
    folder = work / f"edge-{'int8' if quantized else 'f32'}"
    backend, built = edge_shard(folder, truth.vectors, quantized)
    backend.close()
    rss = peak_rss_mb(
        "import sys, numpy as np\nsys.path.insert(0, '.')\nfrom sentence_transformers import SentenceTransformer\n"
        f"SentenceTransformer({model!r}, device='cpu').encode(['x'])\n"
        "from qa.qdrant.edge import EdgeBackend\nfrom qa.qdrant.points import Where\n"
        f"b = EdgeBackend(__import__('pathlib').Path({str(folder)!r}))\n"
        f"q = np.load({str(work / 'queries.npy')!r})\n"
        f"[b.nearest(x.tolist(), {K}, Where(kind='passage'), {max(efs)}) for x in q]"
    )
    floor_rss = floor_rss_mb(model, folder)
    rows = []
    for ef in efs:
        times, found = timed_search(
            lambda v, ef=ef: [h.id - 1 for h in backend.nearest(v.tolist(), K, Where(kind="passage"), ef)],
            truth.queries,
        )
        rows.append(_row("Qdrant Edge", f"{name}, hnsw_ef {ef}", built, times, floor_p50, truth.recall(found),
                         folder, rss, floor_rss))  # fmt: skip
    return rows, backend


def edge_add_seconds(backend: EdgeBackend, vectors: np.ndarray, article: int) -> float:
    """What QdrantStore does for one new article: upsert its points, drop its leftovers."""
    started = time.perf_counter()
    base = 10**9 + article * 100
    points = [PointData(base + i, {"kind": "passage", "article_id": f"new{article}"}, dense=v.tolist())
              for i, v in enumerate(vectors)]  # fmt: skip
    backend.upsert(points)
    backend.delete(Where(article_ids=[f"new{article}"], except_ids=frozenset(p.id for p in points)))
    backend.flush()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "scale-results.json")
    parser.add_argument("--no-store-add", action="store_true", help="skip the folder store's real add at full size")
    parser.add_argument("--store-add-only", action="store_true", help="only the folder store's real add")
    args = parser.parse_args()
    force_offline()
    import faiss

    faiss.omp_set_num_threads(1)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qa-scale-") as folder:
        work = Path(folder)
        model = bench.standin_model(work / "standin")
        if args.store_add_only:
            figures = bench.add_figures(work, model, args.passages)
            for f in figures:
                print(f"Folder store, {f.name}: {f.median:.2f} ({f.detail})")
            return
        texts = [p for _, ps in synth.articles(bench.SEED_CORPUS, args.passages, seed=7) for p in ps]
        t0 = time.perf_counter()
        vectors = embed(texts, model)
        print(f"embedded {len(texts):,} passages in {time.perf_counter() - t0:.0f} s", flush=True)
        queries = embed(synth.questions(QUERIES), model)
        np.save(work / "queries.npy", queries)
        truth, floor_p50 = exact_search(vectors, queries)
        default = ann.choose(len(vectors), vectors.shape[1])
        nlist = int(default.name[3:].split(",")[0])
        nprobes = tuple(sorted({ann.NPROBE, default.nprobe, 2 * default.nprobe}))
        rows = faiss_rows(f"{default.name} (the default)", default.name, nprobes, truth, floor_p50, work, model)
        for factory, label in ((f"IVF{nlist},Flat", "float"), (f"IVF{nlist},SQ8", "int8 codes")):
            rows += faiss_rows(f"{factory} ({label})", factory, nprobes, truth, floor_p50, work, model)
        print(json.dumps([asdict(r) for r in rows]), flush=True)
        shards = []
        for quantized in (False, True):
            found, backend = edge_rows(f"HNSW m16{', int8' if quantized else ''}", (100, 200, 400, 800), truth,
                                       floor_p50, work, model, quantized)  # fmt: skip
            rows += found
            shards.append(backend)
            print(json.dumps([asdict(r) for r in found]), flush=True)
        article = vectors[: synth.PARAGRAPHS_PER_ARTICLE]
        small = args.passages // 10
        small_backend, _ = edge_shard(work / "edge-small", vectors[:small], True)
        adds = {"large": [], "small": []}
        for n in range(12):
            for key, backend in (("large", shards[1]), ("small", small_backend))[:: 1 if n % 2 else -1]:
                adds[key].append(edge_add_seconds(backend, article, n))
        edge_add = statistics.median(adds["large"][2:]) / statistics.median(adds["small"][2:])
        result: dict[str, object] = {
            "passages": len(vectors),
            "floor_p50_ms": round(floor_p50 * 1e3, 2),
            "rows": [asdict(r) for r in rows],
            "edge_add_ratio": round(edge_add, 2),
            "edge_add_ms": round(statistics.median(adds["large"][2:]) * 1e3, 1),
        }
        del vectors, truth
        if not args.no_store_add:
            figures = bench.add_figures(work, model, args.passages)
            result["folder_add"] = [{**asdict(f), "median": f.median} for f in figures]
    result["seconds"] = round(time.perf_counter() - started)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(report(result))


def report(result: dict) -> str:
    lines = [
        f"{result['passages']:,} passages, stand-in encoder, one core; floor: exact IndexFlatIP, "
        f"p50 {result['floor_p50_ms']} ms",
        "",
        "| store | index | build s | p50 ms | p95 ms | p50 / floor | recall@5 | stored MB | peak RSS MB "
        "| RSS / floor |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['store']} | {r['index']} | {r['build_s']:.0f} | {r['p50_ms']} | {r['p95_ms']} | {r['p50_ratio']} "
            f"| {r['recall5']} | {r['stored_mb']} | {r['rss_mb']} | {r['rss_ratio']} |"
        )
    lines.append("")
    lines.append(f"Qdrant Edge, one article's upsert at full size / at a tenth: {result['edge_add_ratio']} "
                 f"({result['edge_add_ms']} ms)")  # fmt: skip
    for f in result.get("folder_add", []):
        lines.append(f"Folder store, {f['name']}: {f['median']:.2f} ({f['detail']})")
    lines.append(f"\n{result['seconds']} s")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
