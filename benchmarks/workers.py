"""`qa index` embedding in this process against a local Ray pool, in the same run.

The texts are synthetic news paragraphs (benchmarks/synth.py) embedded with the real
model, as `qa index` embeds them. Ray's figure includes starting Ray and each actor's own
copy of the model: that is what `qa index --workers N` costs on one machine. On a cluster
the pool spans machines and the start-up is paid once for many more texts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench
import synth

from qa.distributed import RayEmbedder
from qa.settings import DEFAULT_MODEL, force_offline
from qa.vectors import Embedder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    force_offline()
    texts = [p for _, ps in synth.articles(bench.SEED_CORPUS, args.texts, seed=11) for p in ps]
    single = Embedder(DEFAULT_MODEL)
    single.warm_up()
    started = time.perf_counter()
    expected = single.embed(texts)
    single_s = time.perf_counter() - started
    ray_embedder = RayEmbedder(DEFAULT_MODEL, workers=args.workers)
    ray_embedder.warm_up()
    started = time.perf_counter()
    found = ray_embedder.embed(texts)
    ray_s = time.perf_counter() - started
    result = {
        "texts": len(texts),
        "workers": args.workers,
        "single_process_s": round(single_s, 1),
        "ray_s": round(ray_s, 1),
        "ray_over_single": round(ray_s / single_s, 2),
        "max_abs_difference": float(np.abs(found - expected).max()),
    }
    print(json.dumps(result))
    print(
        f"{len(texts):,} paragraphs: one process {single_s:.1f} s ({len(texts) / single_s:.0f}/s), "
        f"Ray with {args.workers} workers {ray_s:.1f} s ({ray_s / single_s:.2f}×, start-up included); "
        f"largest difference between their vectors {result['max_abs_difference']:.1e}"
    )


if __name__ == "__main__":
    main()
