"""The learned answer model: logistic scorers for sentences, answerability and spans.

Weights come from `benchmarks/train_reader.py` (public QA data, fixed seed) and ship in
`qa/models/`, with a manifest naming the data, the seed and the weights' SHA-256, which
`load_answer_model` checks. Logistic regression, fitted by Newton's method with an L2 penalty
(Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning*, 2nd ed., §4.4.1),
gives probabilities, so the abstention threshold is a probability chosen on held-out data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa.errors import AnswerModelError
from qa.features import ANSWERABLE_FEATURES, SENTENCE_FEATURES
from qa.spans import SPAN_FEATURES

FORMAT_VERSION = 1
DIGITS = 9
"""Fitted values are rounded to this many decimals, so that retraining on another machine
(whose BLAS sums in another order) writes the same bytes."""
MODEL_DIR = Path(__file__).parent / "models"
WEIGHTS_FILE = "answer-model.json"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class Logistic:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def probability(self, rows: np.ndarray) -> np.ndarray:
        if rows.shape[0] == 0:
            return np.zeros(0)
        z = ((rows - np.array(self.mean)) / np.array(self.scale)) @ np.array(self.weights) + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def fit_logistic(
    features: tuple[str, ...], rows: np.ndarray, labels: np.ndarray, l2: float = 1.0, steps: int = 50
) -> Logistic:
    """Penalised maximum likelihood on standardised features; deterministic for given data."""
    mean, scale = _standardization(rows)
    x = np.hstack([(rows - mean) / scale, np.ones((len(rows), 1))])
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (p - labels) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return _rounded(Logistic(features, tuple(mean), tuple(scale), tuple(w[:-1]), w[-1]))


def _standardization(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each feature's mean and spread; a constant feature keeps a spread of 1."""
    scale = rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return rows.mean(axis=0), scale


def _rounded(model: Logistic) -> Logistic:
    def r(values: tuple) -> tuple[float, ...]:
        return tuple(round(float(v), DIGITS) for v in values)

    return Logistic(model.features, r(model.mean), r(model.scale), r(model.weights), round(float(model.bias), DIGITS))


def fit_ranker(
    features: tuple[str, ...], groups: list[np.ndarray], labels: list[np.ndarray], l2: float = 1.0, steps: int = 50
) -> Logistic:
    """A conditional logit (McFadden 1974): softmax over each question's candidates, so
    the weights learn what makes one candidate beat the others for the same question.
    Its scores are then Platt-scaled (Platt 1999) into P(candidate states the answer), so
    the result is an ordinary logistic model with the ranker's ordering."""
    rows = np.vstack(groups)
    mean, scale = _standardization(rows)
    xs = [(g - mean) / scale for g, y in zip(groups, labels, strict=True) if y.any()]
    targets = [y / y.sum() for y in labels if y.any()]
    w = np.zeros(len(features))
    for _ in range(steps):
        gradient = l2 * w
        hessian = np.diag(np.full(len(w), l2))
        for x, t in zip(xs, targets, strict=True):
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            gradient += x.T @ (p - t)
            hessian += (x * p[:, None]).T @ x - np.outer(x.T @ p, x.T @ p)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    scores = ((rows - mean) / scale) @ w
    platt = fit_logistic(("score",), scores[:, None], np.concatenate(labels).astype(float), l2=0.0)
    a = platt.weights[0] / platt.scale[0]
    return _rounded(
        Logistic(features, tuple(mean), tuple(scale), tuple(a * v for v in w), platt.bias - a * platt.mean[0])
    )


@dataclass(frozen=True)
class AnswerModel:
    sentence: Logistic
    """P(sentence states the answer)."""
    answerable: Logistic
    """P(the candidates answer the question at all)."""
    threshold: float
    """Answer only when `answerable` is at least this; chosen on held-out data."""
    span: Logistic
    """P(span is the answer | its sentence states it)."""

    def to_json(self) -> str:
        data = {"format": FORMAT_VERSION, **asdict(self)}
        return json.dumps(data, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> AnswerModel:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT_VERSION:
                raise AnswerModelError(
                    f"answer model format {data.get('format')!r}, this version reads {FORMAT_VERSION}; "
                    "retrain it with `make train`"
                )
            parts = {key: _logistic(data[key]) for key in ("sentence", "answerable", "span")}
            model = cls(parts["sentence"], parts["answerable"], float(data["threshold"]), parts["span"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AnswerModelError(f"answer model weights are not readable: {exc}") from exc
        for part, names in ((model.sentence, SENTENCE_FEATURES), (model.answerable, ANSWERABLE_FEATURES)):
            if part.features != names:
                raise AnswerModelError("answer model was trained on other features; retrain it with `make train`")
        if model.span.features != SPAN_FEATURES:
            raise AnswerModelError("answer model was trained on other span features; retrain it with `make train`")
        return model


def _logistic(data: dict) -> Logistic:
    return Logistic(
        tuple(data["features"]),
        tuple(map(float, data["mean"])),
        tuple(map(float, data["scale"])),
        tuple(map(float, data["weights"])),
        float(data["bias"]),
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_answer_model(folder: Path = MODEL_DIR) -> AnswerModel:
    """The committed model, after checking its weights against the manifest's SHA-256."""
    manifest_path = folder / MANIFEST_FILE
    weights_path = folder / WEIGHTS_FILE
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        expected = manifest["sha256"]
        actual = sha256(weights_path)
    except FileNotFoundError as exc:
        raise AnswerModelError(f"answer model file {exc.filename} is missing; `make train` writes it") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise AnswerModelError(f"answer model manifest {manifest_path} is not readable: {exc}") from exc
    if actual != expected:
        raise AnswerModelError(
            f"answer model {weights_path} has SHA-256 {actual}, the manifest says {expected}; "
            "restore it from git or retrain it with `make train`"
        )
    return AnswerModel.from_json(weights_path.read_text(encoding="utf-8"))
