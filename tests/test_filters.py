from __future__ import annotations

from datetime import date

import pytest

from qa.errors import ArticleNotFoundError, QueryError
from qa.filters import Filter
from qa.index.format import ArticleRecord


def record(article_id: str, source: str | None, day: str | None) -> ArticleRecord:
    return ArticleRecord(article_id, f"{article_id}.txt", None, article_id, source, day, 3, "h", "2026-01-01")


RECORDS = [
    record("a", "Reuters", "2021-06-27"),
    record("b", "RFE/RL", "2021-06-28"),
    record("c", None, None),
]


def test_blank_input_is_no_filter() -> None:
    assert not Filter.parse([], " ", "", None).active
    assert Filter.parse(None).select(RECORDS) == ["a", "b", "c"]


def test_articles_source_and_dates_narrow_together() -> None:
    assert Filter.parse(["a", "b"]).select(RECORDS) == ["a", "b"]
    assert Filter.parse(source="reut").select(RECORDS) == ["a"]
    assert Filter.parse(since="2021-06-28").select(RECORDS) == ["b"]
    assert Filter.parse(until="2021-06-27").select(RECORDS) == ["a"]
    assert Filter.parse(["a", "b"], since="2021-06-28", until="2021-06-28").select(RECORDS) == ["b"]


def test_bad_filters_say_what_to_change() -> None:
    with pytest.raises(ArticleNotFoundError, match="no article 'zz'"):
        Filter.parse(["zz"]).select(RECORDS)
    with pytest.raises(QueryError, match=r"no article matches the filter \(source containing 'bbc'\)"):
        Filter.parse(source="bbc").select(RECORDS)
    with pytest.raises(QueryError, match="YYYY-MM-DD"):
        Filter.parse(since="June 1")
    with pytest.raises(QueryError, match="date range is empty"):
        Filter(since=date(2021, 7, 1), until=date(2021, 6, 1))
