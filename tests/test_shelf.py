from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from qa.articles import ArticleMemo, scan_corpus
from qa.shelf import ArticleShelf, Stamp

from .conftest import aged, write

STORY = "Strikes at the border\n\nThe strikes hit three sites near the border, officials said.\n"


def rewrite_keeping_stamp(path: Path, text: str) -> None:
    """New content with the old size and modification time: only a stale cache would miss it."""
    stat = path.stat()
    assert len(text.encode()) == stat.st_size
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_new_process_takes_unchanged_files_from_the_shelf(corpus: Path, tmp_path: Path) -> None:
    path = aged(write(corpus, "a.txt", STORY))
    aged(write(corpus, "empty.txt", ""))
    shelf = tmp_path / "articles.sqlite"
    first = scan_corpus(corpus, ArticleMemo(shelf))
    rewrite_keeping_stamp(path, STORY.replace("three", "seven"))
    second = scan_corpus(corpus, ArticleMemo(shelf))
    assert second.articles == first.articles
    assert "three sites" in second.articles[0].paragraphs[0]
    assert second.skipped == first.skipped
    assert "seven sites" in scan_corpus(corpus).articles[0].paragraphs[0]


def test_a_changed_stamp_is_read_again(corpus: Path, tmp_path: Path) -> None:
    path = write(corpus, "a.txt", STORY)
    shelf = tmp_path / "articles.sqlite"
    scan_corpus(corpus, ArticleMemo(shelf))
    path.write_text(STORY.replace("three sites", "three army sites"))
    assert "army" in scan_corpus(corpus, ArticleMemo(shelf)).articles[0].paragraphs[0]


def test_records_of_other_reading_code_are_never_served(tmp_path: Path) -> None:
    old = ArticleShelf(tmp_path / "articles.sqlite", "old rules")
    old.put({"a.txt": (Stamp(10, 1), {"unreadable": "x"})}, ["a.txt"])
    assert old.get({"a.txt": Stamp(10, 1)}) == {"a.txt": {"unreadable": "x"}}
    assert ArticleShelf(tmp_path / "articles.sqlite", "new rules").get({"a.txt": Stamp(10, 1)}) == {}


def test_other_reading_codes_records_go_with_the_next_whole_folder_put(tmp_path: Path) -> None:
    path = tmp_path / "articles.sqlite"
    ArticleShelf(path, "old rules").put({"a.txt": (Stamp(10, 1), {"unreadable": "a"})}, ["a.txt"])
    new = ArticleShelf(path, "new rules")
    new.put({"b.txt": (Stamp(10, 1), {"unreadable": "b"})}, None)
    assert new.get({"a.txt": Stamp(10, 1), "b.txt": Stamp(10, 1)}) == {"b.txt": {"unreadable": "b"}}
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone() == (2,), "a named put leaves the other rows alone"
    new.put({}, ["a.txt", "b.txt"])
    with sqlite3.connect(path) as db:
        assert [r for (r,) in db.execute("SELECT relative FROM articles")] == ["b.txt"]


def test_files_no_longer_present_are_forgotten(tmp_path: Path) -> None:
    shelf = ArticleShelf(tmp_path / "articles.sqlite", "rules")
    records = {name: (Stamp(1, 1), {"unreadable": name}) for name in ("a.txt", "b.txt")}
    shelf.put(records, list(records))
    shelf.put({"c.txt": (Stamp(1, 1), {"unreadable": "c"})}, ["b.txt", "c.txt"])
    with sqlite3.connect(tmp_path / "articles.sqlite") as db:
        assert sorted(r for (r,) in db.execute("SELECT relative FROM articles")) == ["b.txt", "c.txt"]


def test_a_damaged_shelf_is_set_aside_and_the_files_read(corpus: Path, tmp_path: Path) -> None:
    write(corpus, "a.txt", STORY)
    shelf = tmp_path / "articles.sqlite"
    shelf.write_bytes(b"not a database" * 100)
    assert len(scan_corpus(corpus, ArticleMemo(shelf)).articles) == 1
    assert list(tmp_path.glob("articles.sqlite.corrupt-*"))
    assert len(scan_corpus(corpus, ArticleMemo(shelf)).articles) == 1
