from __future__ import annotations

from pathlib import Path

from qa.index.keywords import KeywordIndex

TEXTS = [
    "American F-15 and F-16 fighter jets carried out the airstrikes.",
    "Kirby said the strikes were defensive.",
    "The militias launched drones against bases in Iraq.",
]


def test_finds_exact_terms_first() -> None:
    hits = KeywordIndex.build(TEXTS).search("Which jets carried out the airstrike?", k=3)
    assert hits[0].row == 0
    assert all(hit.score > 0 for hit in hits)


def test_never_returns_rows_without_a_shared_term() -> None:
    assert KeywordIndex.build(TEXTS).search("zebra crossing", k=3) == []
    assert KeywordIndex.build(TEXTS).search("the", k=3) == []


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    KeywordIndex.build(TEXTS).save(tmp_path / "bm25")
    assert KeywordIndex.load(tmp_path / "bm25").search("drones", k=2)[0].row == 2


def test_empty_corpus_finds_nothing(tmp_path: Path) -> None:
    KeywordIndex.build([]).save(tmp_path / "bm25")
    assert KeywordIndex.load(tmp_path / "bm25").search("drones", k=2) == []
