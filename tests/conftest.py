"""Shared fixtures: one real model per session, small real corpora in tmp_path."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest

from qa.engine import Engine
from qa.settings import DEFAULT_MODEL, Settings, force_offline
from qa.vectors import Embedder

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"

force_offline()


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    model = Embedder(DEFAULT_MODEL)
    model.warm_up()
    return model


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """An empty corpus folder; tests write the articles they need."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    return folder


@pytest.fixture
def seed_corpus(tmp_path: Path) -> Path:
    """A copy of the five seed articles, safe to change."""
    folder = tmp_path / "seed"
    shutil.copytree(SEED_CORPUS, folder)
    return folder


@pytest.fixture
def make_engine(tmp_path: Path, embedder: Embedder) -> Callable[..., Engine]:
    def make(corpus_dir: Path, index_dir: Path | None = None) -> Engine:
        settings = Settings(corpus_dir=corpus_dir, index_dir=index_dir or tmp_path / "index")
        return Engine(settings, embedder=embedder)

    return make


@pytest.fixture(scope="session")
def seed_engine(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Engine:
    """The seed corpus, indexed once for the read-only tests of a session."""
    folder = tmp_path_factory.mktemp("seed-index")
    shutil.copytree(SEED_CORPUS, folder / "corpus")
    engine = Engine(Settings(corpus_dir=folder / "corpus", index_dir=folder / "index"), embedder=embedder)
    engine.index()
    return engine


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def aged(path: Path, seconds: float = 60) -> Path:
    """Date the file's modification `seconds` back: a scan remembers a file by its stamp
    only once it has been left alone a moment (qa.articles.RACY_NS)."""
    when = time.time_ns() - int(seconds * 1e9)
    os.utime(path, ns=(when, when))
    return path


def project_env(**extra: str) -> dict[str, str]:
    """Environment for subprocesses: offline, no user config leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"})
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server(NamedTuple):
    url: str
    pid: int


@contextmanager
def serve_app(corpus_dir: Path, index_dir: Path, **env: str) -> Iterator[Server]:
    """Run app.py as users do, on a free loopback port."""
    port = free_port()
    environment = project_env(QA_CORPUS_DIR=str(corpus_dir), QA_INDEX_DIR=str(index_dir), **env)
    log = (index_dir.parent / f"app-{port}.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=environment, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"app did not start: {(index_dir.parent / f'app-{port}.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield Server(url, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


SLOW_MODULES = {"test_app", "test_browser"}
"""Modules that start a server or a browser."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark as `slow` every test that loads the model or starts a server, so `make
    test-fast` can run the pure ones alone in seconds."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if getattr(item, "module", None) else ""
        if "embedder" in getattr(item, "fixturenames", ()) or module in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
