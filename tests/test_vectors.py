from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.errors import ModelError
from qa.settings import Settings
from qa.vectors import BUNDLED_SHA256, Embedder, VectorCache, bundled_model_path, mean_vectors, verify_sha256


def test_bundled_model_passes_its_checksum() -> None:
    path = bundled_model_path()
    verify_sha256(path / "model.safetensors", BUNDLED_SHA256)


def test_tampered_or_missing_weights_are_refused(tmp_path: Path) -> None:
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"not the real weights")
    with pytest.raises(ModelError, match="does not match the pinned SHA-256"):
        verify_sha256(weights, BUNDLED_SHA256)
    with pytest.raises(ModelError, match="not found"):
        verify_sha256(tmp_path / "absent.safetensors", BUNDLED_SHA256)


def test_vectors_are_unit_length_and_batched(embedder: Embedder) -> None:
    texts = [f"Sentence number {i} about airstrikes." for i in range(70)]
    seen: list[tuple[int, int]] = []
    vectors = embedder.embed(texts, progress=lambda done, total: seen.append((done, total)))
    assert vectors.shape == (70, embedder.dimension)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert seen[-1] == (70, 70)
    assert len(seen) == 2


def test_similar_texts_are_closer(embedder: Embedder) -> None:
    a, b, c = embedder.embed(["F-15 fighter jets struck", "fighter aircraft carried out the strike", "cake recipe"])
    assert a @ b > a @ c


def test_mean_vectors_are_unit_length_means_per_owner() -> None:
    rows = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    means = mean_vectors(rows, [0, 0, 2], 3)
    assert means[0] == pytest.approx([2**-0.5, 2**-0.5])
    assert means[1].tolist() == [0.0, 0.0]
    assert means[2] == pytest.approx([0.6, 0.8])
    assert mean_vectors(rows[:0], [], 0).shape == (0, 2)


def test_unknown_model_fails_with_a_clear_message() -> None:
    with pytest.raises(ModelError, match="without a network"):
        Embedder("no-such-org/no-such-model").warm_up()


def test_bad_settings_are_refused_before_loading() -> None:
    with pytest.raises(ModelError, match="threads"):
        Embedder(threads=-1)
    with pytest.raises(ValueError, match="threads"):
        Settings(threads=-2)


def test_cache_embeds_only_missing_texts(tmp_path: Path, embedder: Embedder) -> None:
    cache = VectorCache(tmp_path / "cache.sqlite")
    first, embedded = cache.vectors_for(embedder, ["one.", "two."], ["h1", "h2"])
    assert embedded == 2
    again, embedded = cache.vectors_for(embedder, ["two.", "three.", "one."], ["h2", "h3", "h1"])
    assert embedded == 1
    assert np.array_equal(again[0], first[1])
    assert np.array_equal(again[2], first[0])


def test_cache_is_keyed_by_model(tmp_path: Path, embedder: Embedder) -> None:
    cache = VectorCache(tmp_path / "cache.sqlite")
    cache.put(embedder.model_name, ["h"], embedder.embed(["text"]))
    assert cache.get("another-model", ["h"]) == {}


def test_damaged_cache_is_set_aside_not_fatal(tmp_path: Path, embedder: Embedder) -> None:
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    _, embedded = VectorCache(path).vectors_for(embedder, ["text."], ["h"])
    assert embedded == 1
    assert list(tmp_path.glob("cache.sqlite.corrupt-*"))
