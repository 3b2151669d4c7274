"""Serving on these machines: requests side by side, threads per request, malloc tuning."""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import logging
import os
from typing import Any

from qa.settings import Settings

log = logging.getLogger(__name__)

QUEUE_SIZE = 64
CONCURRENCY = 2
"""Two requests side by side: the machines have two cores, and FAISS runs one thread each.
The model gets a share of the cores per request too (see `serving_settings`)."""
MALLOC_ARENAS = 2
M_ARENA_MAX = -8
"""mallopt's parameter number for the arena cap (glibc malloc.h)."""


def serving_settings() -> Settings:
    """Settings from the environment, with the model's threads split between the requests
    that run at once: on two cores, two one-thread encodes served 0.69 of in-process
    throughput in the benchmark, two two-thread encodes fighting over the cores 0.58."""
    cores = len(os.sched_getaffinity(0))
    return dataclasses.replace(Settings.from_env(), threads=max(1, cores // CONCURRENCY))


def glibc() -> Any:
    """The C library if it is glibc (whose malloc the two functions below tune), else None."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
    except (OSError, TypeError):
        return None
    return libc if all(hasattr(libc, name) for name in ("gnu_get_libc_version", "mallopt", "malloc_trim")) else None


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """Cap malloc arenas before the server starts its threads. glibc gives threads their own
    arenas (up to eight per core) and seldom returns their free pages; Gradio's worker
    threads come and go, so under 32 clients the server grew from about 800 MB to 1.4 GB
    in three minutes; with two arenas it levelled off near 1.05 GB."""
    libc = glibc()
    if libc is not None and not libc.mallopt(M_ARENA_MAX, arenas):
        log.warning("could not cap malloc arenas; memory may grow under load")


def release_free_memory() -> None:
    """Hand the pages a rebuild freed (batches of activations) back to the system: with
    this after every rebuild the server under load falls back to about 690 MB each time."""
    libc = glibc()
    if libc is not None:
        libc.malloc_trim(0)
