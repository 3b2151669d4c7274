"""A version's SQL reads show base and delta as one index, without the articles the delta hides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qa.engine import Engine
from qa.index.store import IndexStore
from tests.conftest import write


def test_catalog_shows_live_rows_of_base_and_delta(corpus: Path, make_engine: Callable[..., Engine]) -> None:
    write(corpus, "a.txt", "Harbor report\n\nThe port of Aqaba reopened on Tuesday.\n\nForty ships waited.")
    write(corpus, "b.txt", "Storm report\n\nA storm flooded Zarqa on Monday.")
    engine = make_engine(corpus)
    engine.index()
    engine.update([write(corpus, "a.txt", "Harbor report\n\nThe port of Aqaba stayed shut on Tuesday.")])
    engine.update([write(corpus, "c.txt", "Rail report\n\nTrains to Amman ran late.")])

    catalog = IndexStore(engine.settings.index_dir).open()
    try:
        assert catalog.has_delta
        assert [a.article_id for a in catalog.articles()] == ["a", "b", "c"]
        assert set(catalog.delta_articles()) == {"a", "c"}
        assert set(catalog.base_articles()) == {"a", "b"}, "the base keeps the article the delta replaced"
        assert catalog.manifest.hidden == ["a"]
        assert catalog.row_ranges("main") == (range(3), range(3))
        assert catalog.row_ranges("delta") == (range(3, 5), range(3, 5))
        texts = [p.text for p in catalog.article_passages("a")]
        assert texts == ["The port of Aqaba stayed shut on Tuesday."]
        rows = [int(r) for r in catalog.passage_rows(["a", "c"])]
        assert [p.article_id for p in catalog.passages(rows)] == ["a", "c"]
        assert all(catalog.base_owners(rows).get(r) is None for r in rows), "both rows are the delta's"
        assert catalog.display_title("b") == "Storm report"
        assert catalog.display_title("gone") == "gone"
        assert catalog.article("gone") is None
        assert catalog.integrity() == "ok"
    finally:
        catalog.close()
