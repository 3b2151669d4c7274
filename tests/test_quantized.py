from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from qa.cli import main
from qa.engine import Engine
from qa.errors import ModelError
from qa.quantized import CONFIG, WEIGHTS
from qa.settings import DEFAULT_MODEL, Settings
from qa.vectors import Embedder

TEXTS = [
    "The U.S. military carried out strikes with F-15 and F-16 aircraft.",
    "Kataib Hezbollah vowed revenge.",
    "Negotiators met in Vienna to revive the nuclear accord, officials said on Sunday.",
]


@pytest.fixture(scope="session")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One int8 export for the session (it takes seconds)."""
    folder = tmp_path_factory.mktemp("models")
    Embedder(DEFAULT_MODEL, backend="onnx-int8", export_dir=folder).warm_up()
    return folder


def test_int8_vectors_stay_close_to_the_model_s_own(exports: Path, embedder: Embedder) -> None:
    quantized = Embedder(DEFAULT_MODEL, backend="onnx-int8", export_dir=exports)
    ours, reference = quantized.embed(TEXTS), embedder.embed(TEXTS)
    assert ours.shape == reference.shape
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    assert (ours * reference).sum(axis=1).min() > 0.95
    assert quantized.model_name == f"{DEFAULT_MODEL}+onnx-int8"
    assert quantized.max_words == embedder.max_words


def test_a_thread_cap_changes_speed_not_vectors(exports: Path) -> None:
    capped = Embedder(DEFAULT_MODEL, backend="onnx-int8", export_dir=exports, threads=1)
    free = Embedder(DEFAULT_MODEL, backend="onnx-int8", export_dir=exports)
    assert np.allclose(capped.embed(TEXTS), free.embed(TEXTS), atol=1e-6)
    assert capped._quantized is not None
    assert capped._quantized._session.get_session_options().intra_op_num_threads == 1


def test_an_index_built_with_int8_is_kept_apart_and_answers(
    seed_corpus: Path, tmp_path: Path, exports: Path, embedder: Embedder
) -> None:
    settings = Settings(corpus_dir=seed_corpus, index_dir=tmp_path / "index", backend="onnx-int8")
    quantized = Embedder(DEFAULT_MODEL, backend="onnx-int8", export_dir=exports)
    engine = Engine(settings, embedder=quantized)
    engine.index()
    assert engine.version().manifest.model == f"{DEFAULT_MODEL}+onnx-int8"
    answer = engine.ask("Which aircraft carried out the strikes?")
    assert "F-15" in answer.answer
    with pytest.raises(Exception, match="settings ask for"):
        Engine(settings, embedder=embedder)


def test_the_export_is_made_once_into_the_index_folder(
    corpus: Path, tmp_path: Path, make_engine: Callable[..., Engine], capsys: pytest.CaptureFixture[str]
) -> None:
    (corpus / "a.txt").write_text("Strikes\n\nThe United States struck three sites.\n")
    index = tmp_path / "index"
    assert main(["ask", "Who struck?", "--backend", "onnx-int8", "--corpus", str(corpus), "--index", str(index)]) == 0
    (folder,) = (index / "models").iterdir()
    assert {p.name for p in folder.iterdir()} >= {WEIGHTS, CONFIG}
    stamp = (folder / WEIGHTS).stat().st_mtime_ns
    assert main(["ask", "Who struck?", "--backend", "onnx-int8", "--corpus", str(corpus), "--index", str(index)]) == 0
    assert (folder / WEIGHTS).stat().st_mtime_ns == stamp
    assert "United States" in capsys.readouterr().out


def test_a_damaged_export_is_a_clear_error(tmp_path: Path, exports: Path) -> None:
    (folder,) = exports.iterdir()
    damaged = tmp_path / "models" / folder.name
    damaged.mkdir(parents=True)
    (damaged / CONFIG).write_text((folder / CONFIG).read_text())
    (damaged / WEIGHTS).write_bytes(b"not a model")
    with pytest.raises(ModelError, match="delete the folder to export it again"):
        Embedder(DEFAULT_MODEL, backend="onnx-int8", export_dir=tmp_path / "models").warm_up()


def test_an_unknown_backend_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["list", "--backend", "tensorrt"])
    assert "invalid choice" in capsys.readouterr().err
    with pytest.raises(ModelError, match="unknown backend"):
        Embedder(DEFAULT_MODEL, backend="tensorrt")
