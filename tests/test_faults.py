"""Each file of the index folder damaged on its own: truncated, a byte flipped, deleted.

Whatever the damage, the next question is answered exactly as before (from a rebuilt
version if need be), the damaged part is set aside rather than deleted, the corpus is
untouched, and no answer ever comes from data that no longer matches its source.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from qa.cite import Answer
from qa.engine import Engine
from qa.index.format import ARTICLE_SHELF, CACHE, CORRUPT, CURRENT, KEYWORDS, MANIFEST, SEGMENT_FILES, VERSIONS
from tests.conftest import aged, write

ARTICLES = {
    "strikes.txt": "Strikes on militias\n\nThe United States struck three sites near the border on Sunday night."
    "\n\nOfficials said all pilots returned safely.",
    "reaction.txt": "Reaction in Baghdad\n\nThe Iraqi government condemned the strikes as a violation of sovereignty."
    "\n\nA spokesman called for calm.",
}
QUESTION = "What did the Iraqi government say about the strikes?"
BM25_FILES = (
    "data.csc.index.npy",
    "indices.csc.index.npy",
    "indptr.csc.index.npy",
    "params.index.json",
    "vocab.index.json",
)
VERSION_FILES = (
    *(f for f in SEGMENT_FILES if f != KEYWORDS),
    MANIFEST,
    *(f"{KEYWORDS}/{f}" for f in BM25_FILES),
)
DAMAGES = ("truncated", "flipped", "deleted")


def fingerprint(answer: Answer) -> tuple[str, list[tuple[str, str]]]:
    return answer.answer, [(c.article_id, c.text) for c in answer.citations]


def damage(path: Path, how: str) -> bytes | None:
    """Damage the file and return what it now holds (None once deleted)."""
    if how == "deleted":
        path.unlink()
        return None
    data = bytearray(path.read_bytes())
    if how == "truncated":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return bytes(data)


@pytest.fixture
def built(corpus: Path, make_engine: Callable[..., Engine]) -> tuple[Engine, tuple[str, list[tuple[str, str]]]]:
    for name, text in ARTICLES.items():
        aged(write(corpus, name, text))
    engine = make_engine(corpus)
    return engine, fingerprint(engine.ask(QUESTION))


def live_folder(engine: Engine) -> Path:
    return engine.store.folder / VERSIONS / str(engine.store.current_name())


def assert_answers_as_before(corpus: Path, make_engine: Callable[..., Engine], before: object) -> Engine:
    engine = make_engine(corpus)
    assert fingerprint(engine.ask(QUESTION)) == before
    assert {p.name: p.read_text() for p in corpus.iterdir()} == ARTICLES, "the corpus is never touched"
    return engine


@pytest.mark.parametrize("how", DAMAGES)
@pytest.mark.parametrize("name", VERSION_FILES)
def test_a_damaged_version_file_is_set_aside_and_rebuilt(
    built: tuple[Engine, object], corpus: Path, make_engine: Callable[..., Engine], name: str, how: str
) -> None:
    engine, before = built
    version = live_folder(engine)
    left = damage(version / name, how)
    again = assert_answers_as_before(corpus, make_engine, before)
    assert again.store.current_name() != version.name
    (aside,) = (engine.store.folder / CORRUPT).iterdir()
    assert aside.name.startswith(version.name)
    assert (aside / "REASON.txt").read_text().strip()
    if left is not None:
        assert (aside / name).read_bytes() == left, "the damaged file is kept as it was"


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_current_pointer_is_rebuilt_from_the_corpus(
    built: tuple[Engine, object], corpus: Path, make_engine: Callable[..., Engine], how: str
) -> None:
    engine, before = built
    damage(engine.store.folder / CURRENT, how)
    again = assert_answers_as_before(corpus, make_engine, before)
    assert (live_folder(again) / MANIFEST).is_file()


@pytest.mark.parametrize("how", DAMAGES)
@pytest.mark.parametrize("name", [CACHE, ARTICLE_SHELF])
def test_a_damaged_cache_costs_time_never_answers(
    built: tuple[Engine, object], corpus: Path, make_engine: Callable[..., Engine], name: str, how: str
) -> None:
    engine, before = built
    vectors = np.load(live_folder(engine) / "sentences.npy")
    damage(engine.store.folder / name, how)
    (engine.store.folder / CURRENT).unlink()
    again = assert_answers_as_before(corpus, make_engine, before)
    np.testing.assert_array_equal(np.load(live_folder(again) / "sentences.npy"), vectors)


def flip_inside(path: Path, stored: bytes) -> None:
    """Flip one byte inside a value SQLite stores, where its own checks cannot see it."""
    data = bytearray(path.read_bytes())
    at = data.find(stored)
    assert at >= 0
    data[at + 3] ^= 0x40
    path.write_bytes(bytes(data))


def test_a_vector_changed_inside_the_cache_is_embedded_again(
    built: tuple[Engine, object], corpus: Path, make_engine: Callable[..., Engine]
) -> None:
    engine, before = built
    vectors = np.load(live_folder(engine) / "sentences.npy")
    cache = engine.store.folder / CACHE
    with closing(sqlite3.connect(cache)) as db:
        blobs = [blob for (blob,) in db.execute("SELECT vector FROM vectors")]
    for blob in blobs:
        flip_inside(cache, blob)
    (engine.store.folder / CURRENT).unlink()
    again = assert_answers_as_before(corpus, make_engine, before)
    np.testing.assert_array_equal(np.load(live_folder(again) / "sentences.npy"), vectors)


def test_an_article_changed_inside_the_shelf_is_read_again(
    built: tuple[Engine, object], corpus: Path, make_engine: Callable[..., Engine]
) -> None:
    engine, before = built
    shelf = engine.store.folder / ARTICLE_SHELF
    flip_inside(shelf, b"Iraqi government condemned")
    write(corpus, "later.txt", "Later\n\nA third article arrived the next day about something else entirely.")
    make_engine(corpus).index()
    (corpus / "later.txt").unlink()
    again = assert_answers_as_before(corpus, make_engine, before)
    assert "Iraqi government condemned" in " ".join(p.text for p in again.show("reaction").passages)
