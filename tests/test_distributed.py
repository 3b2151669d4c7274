"""Embedding on a Ray actor pool gives the index one process gives (a real local Ray)."""

from __future__ import annotations

import logging
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

from qa.cli import main
from qa.distributed import RayEmbedder, embedder_for
from qa.engine import Engine
from qa.errors import ConfigError, WorkerError
from qa.settings import DEFAULT_MODEL, Settings
from qa.vectors import Embedder, bundled_model_path
from tests.conftest import SEED_CORPUS

QUESTIONS = ("Who ordered the strikes?", "Where were the facilities?", "What did Iraq's government say?")


def test_ray_index_equals_single_process(tmp_path: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture) -> None:
    shutil.copytree(SEED_CORPUS, tmp_path / "corpus")
    single = Engine(Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "single"), embedder=embedder)
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "ray", workers=2)
    ray_embedder = embedder_for(settings)
    assert isinstance(ray_embedder, RayEmbedder)
    distributed = Engine(settings, embedder=ray_embedder)
    seen: list[tuple[int, int]] = []
    with caplog.at_level(logging.INFO, logger="qa.distributed"):
        ray_report = distributed.index(progress=lambda done, total: seen.append((done, total)))
    single_report = single.index()

    assert "on 2 Ray workers" in caplog.text
    assert ray_report.embedded == single_report.embedded > embedder.batch_size
    assert seen[-1] == (ray_report.embedded, ray_report.embedded)
    one, other = single.version(), distributed.version()
    rows = list(range(one.passage_count))
    assert [p.text for p in one.passages(rows)] == [p.text for p in other.passages(rows)]
    sentences = [s.row for s in one.sentences(rows)]
    np.testing.assert_allclose(one.sentence_vectors(sentences), other.sentence_vectors(sentences), atol=1e-5)
    for question in QUESTIONS:
        assert distributed.ask(question).to_dict()["answer"] == single.ask(question).to_dict()["answer"]


def test_small_calls_stay_in_this_process(embedder: Embedder) -> None:
    """A question's one text is never shipped to Ray (no Ray starts: this returns at once)."""
    ray_embedder = RayEmbedder(DEFAULT_MODEL, workers=2)
    np.testing.assert_allclose(ray_embedder.embed(["Who ordered it?"]), embedder.embed(["Who ordered it?"]), atol=1e-6)


def test_settings_check_workers() -> None:
    assert not Settings().distributed
    assert Settings.from_env({"QA_WORKERS": "3"}).workers == 3
    assert Settings.from_env({"QA_RAY_ADDRESS": "ray://head:10001"}).distributed
    assert Settings.from_env({"QA_WORKERS": "3"}, workers=0).workers == 0
    with pytest.raises(ConfigError, match="QA_WORKERS must be a whole number"):
        Settings.from_env({"QA_WORKERS": "many"})
    with pytest.raises(ConfigError, match="workers must be 0"):
        Settings(workers=-1)
    with pytest.raises(ConfigError, match="needs a number of workers"):
        RayEmbedder(DEFAULT_MODEL)
    assert type(embedder_for(Settings())) is Embedder


def test_cli_refuses_negative_workers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["index", "--corpus", str(tmp_path), "--index", str(tmp_path / "index"), "--workers", "-1"])
    assert code == 2
    assert "workers must be 0" in capsys.readouterr().err


def test_unreachable_cluster_fails_fast(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ray_embedder = RayEmbedder(DEFAULT_MODEL, batch_size=1, address=f"ray://127.0.0.1:{port}")
    with pytest.raises(ConfigError, match="cannot reach the Ray cluster"):
        ray_embedder.embed(["one", "two"])


def test_a_worker_that_cannot_load_the_model_is_one_clear_error(tmp_path: Path) -> None:
    """The driver loaded the model; it is gone before the actors start, as on a node without it."""
    model = tmp_path / "model"
    shutil.copytree(bundled_model_path(), model)
    ray_embedder = RayEmbedder(str(model), batch_size=1, workers=1)
    ray_embedder.warm_up()
    shutil.rmtree(model)
    with pytest.raises(WorkerError, match=r"embedding on Ray workers failed: .*Every node needs corpus-qa"):
        ray_embedder.embed(["one", "two"])
