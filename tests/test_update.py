from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from qa.engine import Engine
from qa.errors import ConfigError
from qa.index import plan
from qa.index.format import ARTICLE_SHELF
from tests.conftest import aged, write
from tests.test_indexer import STORY_A, STORY_B, STORY_C, assert_whole

FERRY = "Harbour news\n\nA ferry named Gull docked in Basra.\n\nIt carried grain."
STORM = "Weather\n\nA storm hit Marlow.\n\nThe bridge fell."


@pytest.fixture
def indexed(corpus: Path, make_engine: Callable[..., Engine]) -> Engine:
    for name, text in (("a.txt", STORY_A), ("b.txt", STORY_B), ("c.txt", STORY_C)):
        aged(write(corpus, name, text))
    engine = make_engine(corpus)
    engine.index()
    return engine


def contents(engine: Engine) -> dict[str, tuple[str, list[str]]]:
    """Each live article's content hash and passage texts: what a full sync would index."""
    version = engine.version()
    return {
        a.article_id: (a.content_hash, [p.text for p in version.article_passages(a.article_id)])
        for a in version.articles()
    }


def assert_as_full_sync(engine: Engine, tmp_path: Path, make_engine: Callable[..., Engine]) -> None:
    fresh = make_engine(engine.settings.corpus_dir, tmp_path / "from-scratch")
    fresh.index()
    assert contents(engine) == contents(fresh)
    assert_whole(engine.settings.index_dir)


def test_an_added_file_is_indexed_alone_into_the_delta(
    indexed: Engine, corpus: Path, tmp_path: Path, make_engine: Callable[..., Engine]
) -> None:
    base = indexed.version()
    report = indexed.update([write(corpus, "news/d.txt", FERRY)])
    assert (report.added, report.changed, report.removed, report.unchanged) == (["news/d"], [], [], 3)
    assert (report.embedded, report.passages, report.delta_passages) == (2, 8, 2)
    version = indexed.version()
    assert (version.folder / "vectors.faiss").stat().st_ino == (base.folder / "vectors.faiss").stat().st_ino
    assert indexed.search("ferry Gull Basra", k=1).results[0].passage.article_id == "news/d"
    assert_as_full_sync(indexed, tmp_path, make_engine)


def test_files_not_named_are_left_for_the_next_sync(indexed: Engine, corpus: Path) -> None:
    write(corpus, "e.txt", STORM)
    indexed.update([write(corpus, "d.txt", FERRY)])
    assert "e" not in {a.article_id for a in indexed.articles()}
    assert indexed.index().added == ["e"]


def test_changed_and_deleted_files_are_hidden_in_the_base(
    indexed: Engine, corpus: Path, tmp_path: Path, make_engine: Callable[..., Engine]
) -> None:
    (corpus / "a.txt").unlink()
    changed = write(corpus, "b.txt", STORY_B.replace("five drone attacks", "seven rocket attacks"))
    report = indexed.update([corpus / "a.txt", changed])
    assert (report.removed, report.changed, report.added) == (["a"], ["b"], [])
    assert indexed.version().manifest.hidden == ["a", "b"]
    assert report.passages == indexed.version().passage_count == 4
    assert_as_full_sync(indexed, tmp_path, make_engine)


def test_successive_updates_keep_the_delta_whole(
    indexed: Engine, corpus: Path, tmp_path: Path, make_engine: Callable[..., Engine]
) -> None:
    indexed.update([write(corpus, "d.txt", FERRY)])
    indexed.update([write(corpus, "e.txt", STORM)])
    indexed.update([write(corpus, "d.txt", FERRY.replace("grain", "rice"))])
    (corpus / "e.txt").unlink()
    report = indexed.update([corpus / "e.txt"])
    assert report.removed == ["e"]
    assert sorted(indexed.version().delta_articles()) == ["d"]
    assert "It carried rice." in [p.text for p in indexed.show("d").passages]
    assert_as_full_sync(indexed, tmp_path, make_engine)


def test_an_article_changed_back_is_served_from_the_base_again(indexed: Engine, corpus: Path) -> None:
    indexed.update([write(corpus, "c.txt", STORY_C.replace("Vienna", "Geneva"))])
    report = indexed.update([write(corpus, "c.txt", STORY_C)])
    assert report.changed == ["c"]
    manifest = indexed.version().manifest
    assert (manifest.hidden, manifest.delta_passages) == ([], 0)
    assert indexed.search("Negotiators met in Vienna", k=1).results[0].passage.article_id == "c"


def test_an_unchanged_file_writes_nothing(indexed: Engine, corpus: Path) -> None:
    name = indexed.store.current_name()
    report = indexed.update([corpus / "a.txt"])
    assert report.up_to_date
    assert (report.unchanged, report.embedded) == (3, 0)
    assert indexed.store.current_name() == name


def test_an_unreadable_file_is_skipped_and_nothing_is_lost(indexed: Engine, corpus: Path) -> None:
    report = indexed.update([write(corpus, "blob.txt", b"\x00\x01\x02" * 50)])
    assert [s.path for s in report.skipped] == ["blob.txt"]
    assert report.up_to_date
    assert len(indexed.articles()) == 3


def test_bad_paths_are_refused_before_anything_is_read(indexed: Engine, corpus: Path, tmp_path: Path) -> None:
    outside = write(tmp_path, "elsewhere.txt", FERRY)
    with pytest.raises(ConfigError, match="not inside the corpus folder"):
        indexed.update([outside])
    with pytest.raises(ConfigError, match="hidden"):
        indexed.update([write(corpus, ".draft.txt", FERRY)])
    with pytest.raises(ConfigError, match="at least one file"):
        indexed.update([])


def test_without_an_index_the_whole_folder_is_synced(
    corpus: Path, make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    write(corpus, "a.txt", STORY_A)
    report = make_engine(corpus).update([write(corpus, "d.txt", FERRY)])
    assert report.added == ["a", "d"]
    assert report.delta_passages is None


def test_an_id_another_file_holds_falls_back_to_the_full_sync(
    indexed: Engine, corpus: Path, tmp_path: Path, make_engine: Callable[..., Engine]
) -> None:
    report = indexed.update([write(corpus, "a.md", "# Other\n\nA different story entirely.")])
    assert [s.reason for s in report.skipped] == ["same article id as a.md; rename one of them"]
    assert_as_full_sync(indexed, tmp_path, make_engine)


def test_a_delta_past_its_limit_falls_back_to_a_merge(
    indexed: Engine, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan, "DELTA_MIN_PASSAGES", 1)
    report = indexed.update([write(corpus, "d.txt", FERRY)])
    assert report.added == ["d"]
    assert report.delta_passages is None
    assert indexed.version().manifest.base_passages == 8


def test_the_article_shelf_keeps_the_other_files(indexed: Engine, corpus: Path) -> None:
    indexed.update([aged(write(corpus, "d.txt", FERRY))])
    with closing(sqlite3.connect(indexed.settings.index_dir / ARTICLE_SHELF)) as shelf:
        kept = sorted(relative for (relative,) in shelf.execute("SELECT relative FROM articles"))
    assert kept == ["a.txt", "b.txt", "c.txt", "d.txt"], "a new process re-reads none of them"
