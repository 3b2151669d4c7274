from __future__ import annotations

from pathlib import Path

import pytest

from qa import metadata
from qa.articles import Article
from qa.engine import Engine
from qa.errors import ArticleNotFoundError, QueryError
from tests.conftest import write

UNTITLED = "The grain convoy left Tartus at dawn under naval escort, officials said.\n"


def test_blank_fields_mean_as_cleaning_found_them() -> None:
    assert metadata.checked(" ", "", None) == metadata.Details()
    assert metadata.checked(" Port  news ", "SANA", "2021-06-28") == metadata.Details("Port news", "SANA", "2021-06-28")
    with pytest.raises(QueryError, match="YYYY-MM-DD"):
        metadata.checked("x", None, "28 June")


def test_saved_details_override_and_can_be_forgotten(tmp_path: Path) -> None:
    article = Article("a", "a.txt", None, None, None, ("Text.",))
    metadata.save(tmp_path, "a", metadata.Details(title="Port news"))
    (edited,) = metadata.apply(metadata.load(tmp_path), [article])
    assert (edited.title, edited.source) == ("Port news", None)
    assert edited.content_hash != article.content_hash
    metadata.save(tmp_path, "a", metadata.Details())
    assert metadata.load(tmp_path) == {}


def test_an_unreadable_details_file_is_ignored_not_deleted(tmp_path: Path) -> None:
    (tmp_path / metadata.FILE).write_text("{not json")
    assert metadata.load(tmp_path) == {}
    assert (tmp_path / metadata.FILE).read_text() == "{not json"


def test_describe_reindexes_the_article_and_never_touches_its_file(corpus: Path, make_engine, tmp_path: Path) -> None:
    path = write(corpus, "convoy.txt", UNTITLED)
    write(corpus, "other.txt", "Weather\n\nRain fell over Damascus on Monday, forecasters said.\n")
    engine: Engine = make_engine(corpus)
    assert engine.show("convoy").article.title is None
    report = engine.describe("convoy", "Convoy reaches port", "SANA", "2021-06-28")
    assert report.changed == ["convoy"]
    assert report.embedded == 0
    record = engine.show("convoy").article
    assert (record.title, record.source, record.date) == ("Convoy reaches port", "SANA", "2021-06-28")
    assert path.read_text() == UNTITLED
    assert [a.article_id for a in engine.articles()] == ["convoy", "other"]
    engine.index(full=True)
    assert engine.show("convoy").article.title == "Convoy reaches port"
    with pytest.raises(ArticleNotFoundError):
        engine.describe("nope", "x", None, None)
