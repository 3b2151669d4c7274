"""Embed batches on a Ray actor pool: `qa index --workers N`, or a cluster at QA_RAY_ADDRESS.

Ray Data's `map_batches` over an actor pool keeps one loaded model per actor, the pattern
of Ray's batch inference guide (docs.ray.io/en/latest/data/batch_inference.html). The
driver cuts the texts into the same length-sorted batches `Embedder.embed` would, so each
text is encoded beside the same neighbours as in one process and the vectors agree with
the single-process ones. One batch or less is embedded here: shipping it costs more than
encoding it. On one machine the single process is faster (no second copy of the model,
no serialisation); Ray is for more machines than one.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import ConfigError, WorkerError
from qa.settings import DEFAULT_MODEL, Settings, force_offline
from qa.vectors import Embedder, Progress

log = logging.getLogger(__name__)

RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0"}
"""Ray reports usage to its makers unless told not to; these machines, and our users, are offline."""
CONNECT_SECONDS = 5.0
BLOCKS_PER_WORKER = 4
"""Blocks handed out per actor: enough that a slow actor does not hold up the end of a run."""


class _EmbedActor:
    """One Ray actor: loads the model once, then encodes the batches it is sent, on one thread."""

    def __init__(self, model: str, batch_size: int, backend: str, export_dir: Path | None) -> None:
        self.embedder = Embedder(model, batch_size, backend, export_dir, threads=1)
        self.embedder.warm_up()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        blobs = [self.embedder.embed(list(texts)).tobytes() for texts in batch["texts"]]
        return {"start": batch["start"], "vectors": np.array(blobs, dtype=object)}


class RayEmbedder(Embedder):
    """An Embedder whose large `embed` calls run on `workers` Ray actors.

    The driver loads the model too: it answers questions and reads the model's dimension
    and window. With no `address`, `ray.init()` starts a local Ray for the run and stops it
    after; with one (`ray://head:10001` or `auto`), it joins that cluster, whose nodes need
    corpus-qa and the model installed.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        batch_size: int = 64,
        backend: str = "torch",
        export_dir: Path | None = None,
        threads: int = 0,
        *,
        workers: int = 0,
        address: str | None = None,
    ) -> None:
        """`workers` is the pool's size; 0 with an `address` takes one actor per cluster CPU."""
        super().__init__(model, batch_size, backend, export_dir, threads)
        if workers < 0:
            raise ConfigError(f"workers must be 0 or more, got {workers}")
        if not workers and not address:
            raise ConfigError("Ray embedding needs a number of workers or a cluster address (QA_RAY_ADDRESS)")
        self.workers = workers
        self.address = address

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        if len(texts) <= self.batch_size:
            return super().embed(texts, progress)
        order = np.argsort([len(t) for t in texts], kind="stable")
        starts = range(0, len(texts), self.batch_size)
        items = [{"start": s, "texts": [texts[i] for i in order[s : s + self.batch_size]]} for s in starts]
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        done = 0
        with _ray(self.address, self.workers) as (ray, workers):
            log.info("embedding %d texts on %d Ray workers", len(texts), workers)
            dataset = ray.data.from_items(items, override_num_blocks=min(len(items), workers * BLOCKS_PER_WORKER))
            embedded = dataset.map_batches(
                _EmbedActor,
                fn_constructor_args=(self.model, self.batch_size, self.backend, self._export_dir),
                batch_size=1,
                compute=ray.data.ActorPoolStrategy(size=workers),
                num_cpus=1,
            )
            try:
                for batch in embedded.iter_batches(batch_size=None, batch_format="numpy"):
                    for start, blob in zip(batch["start"], batch["vectors"], strict=True):
                        rows = order[int(start) : int(start) + self.batch_size]
                        out[rows] = np.frombuffer(blob, dtype=np.float32).reshape(len(rows), -1)
                        done += len(rows)
                        if progress:
                            progress(done, len(texts))
            except ray.exceptions.RayError as exc:
                cause = str(exc).strip().splitlines()[-1]  # the worker's own error, under Ray's traceback
                raise WorkerError(
                    f"embedding on Ray workers failed: {cause}. Every node needs corpus-qa, the same Ray "
                    "and the model installed; Ray's own logs are in /tmp/ray/session_latest/logs"
                ) from exc
        return out


@contextmanager
def _ray(address: str | None, workers: int) -> Iterator[tuple[Any, int]]:
    """Ray, initialised for one run, and the pool size; a Ray this run started is stopped after."""
    for key, value in RAY_ENV.items():
        os.environ.setdefault(key, value)
    force_offline()
    try:
        import ray
        import ray.data
        import ray.exceptions
    except ImportError as exc:
        raise ConfigError("Ray is not installed: pip install 'corpus-qa[ray]' (make install includes it)") from exc
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)
    started = not ray.is_initialized()
    if started:
        if address:
            _check_reachable(address)
        try:
            if address:
                ray.init(address=address, log_to_driver=False, configure_logging=False)
            else:
                ray.init(
                    num_cpus=max(workers, os.cpu_count() or 1),
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError(f"cannot start or reach Ray at {address or 'this machine'}: {exc}") from exc
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        yield ray, workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    finally:
        if started:
            ray.shutdown()


def _check_reachable(address: str) -> None:
    """Fail in seconds where Ray would retry a dead address for minutes."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        raise ConfigError(f"cannot reach the Ray cluster at {address}: {exc}; check QA_RAY_ADDRESS") from exc


def embedder_for(settings: Settings) -> Embedder:
    """The Embedder settings ask for: Ray-backed when they name workers or a cluster."""
    args = (settings.model, settings.batch_size, settings.backend, settings.export_dir, settings.threads)
    if settings.distributed:
        return RayEmbedder(*args, workers=settings.workers, address=settings.ray_address)
    return Embedder(*args)
