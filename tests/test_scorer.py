"""The learned answer model: fitting, saving, and loading only what its manifest vouches for."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.errors import AnswerModelError
from qa.features import ANSWERABLE_FEATURES, SENTENCE_FEATURES
from qa.scorer import MANIFEST_FILE, MODEL_DIR, WEIGHTS_FILE, AnswerModel, fit_logistic, fit_ranker, load_answer_model
from qa.spans import SPAN_FEATURES


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    shutil.copytree(MODEL_DIR, folder)
    return folder


def test_the_committed_model_loads_and_matches_its_manifest() -> None:
    model = load_answer_model()
    manifest = json.loads((MODEL_DIR / MANIFEST_FILE).read_text())
    assert model.sentence.features == SENTENCE_FEATURES
    assert model.answerable.features == ANSWERABLE_FEATURES
    assert model.span.features == SPAN_FEATURES
    assert 0.0 < model.threshold < 1.0
    assert manifest["seed"]
    assert manifest["data"]["license"]
    assert manifest["script"] == "benchmarks/train_reader.py"
    assert (MODEL_DIR / WEIGHTS_FILE).stat().st_size < 100_000


def test_changed_weights_fail_the_checksum(model_copy: Path) -> None:
    weights = model_copy / WEIGHTS_FILE
    weights.write_text(weights.read_text().replace('"threshold": 0.', '"threshold": 0.0'))
    with pytest.raises(AnswerModelError, match="SHA-256"):
        load_answer_model(model_copy)


def test_a_missing_manifest_or_weights_file_is_named(model_copy: Path) -> None:
    (model_copy / WEIGHTS_FILE).unlink()
    with pytest.raises(AnswerModelError, match="missing"):
        load_answer_model(model_copy)


def test_weights_of_another_format_are_refused() -> None:
    data = json.loads(load_answer_model().to_json())
    data["format"] = 99
    with pytest.raises(AnswerModelError, match="format"):
        AnswerModel.from_json(json.dumps(data))


def test_saving_and_loading_gives_the_same_model() -> None:
    model = load_answer_model()
    assert AnswerModel.from_json(model.to_json()) == model


def test_logistic_fit_learns_a_separable_rule_and_gives_probabilities() -> None:
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(400, 2))
    labels = (rows[:, 0] > 0).astype(float)
    model = fit_logistic(("a", "b"), rows, labels)
    p = model.probability(np.array([[2.0, 0.0], [-2.0, 0.0]]))
    assert p[0] > 0.9 > 0.1 > p[1]
    assert abs(model.weights[0]) > 5 * abs(model.weights[1])


def test_ranker_prefers_the_candidate_that_beats_the_others_of_its_group() -> None:
    rng = np.random.default_rng(1)
    groups, labels = [], []
    for _ in range(200):
        rows = rng.normal(size=(5, 2))
        best = int(np.argmax(rows[:, 1]))
        groups.append(rows)
        labels.append(np.eye(5)[best])
    model = fit_ranker(("noise", "signal"), groups, labels)
    assert model.weights[1] > 0
    assert abs(model.weights[0]) < model.weights[1] / 3
    test = rng.normal(size=(5, 2))
    assert int(np.argmax(model.probability(test))) == int(np.argmax(test[:, 1]))
