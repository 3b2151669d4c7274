"""Restrict a question to some articles: by id, by outlet (source) or by date range.

An analyst following one outlet, or the reports of one week, asks within them; the
filter picks the articles from the index's catalog, and search then looks only at their
passages (FAISS with an id selector, BM25 with the other rows zeroed), so the k best
passages are k best among them, not the survivors of a search over everything.
"""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from qa.errors import ArticleNotFoundError, QueryError
from qa.index.format import ArticleRecord


def parse_date(text: str, name: str) -> date:
    """An ISO date (2021-06-27), as article dates are stored."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise QueryError(f"{name} must be a date as YYYY-MM-DD, got {text!r}") from None


@dataclass(frozen=True)
class Filter:
    articles: tuple[str, ...] = ()
    """Article ids; empty means any."""
    source: str | None = None
    """Part of the outlet's name, any case ("reuters" matches "Reuters")."""
    since: date | None = None
    until: date | None = None
    """Inclusive; an article without a date is left out when either is set."""

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise QueryError(f"the date range is empty: since {self.since} is after until {self.until}")

    @classmethod
    def parse(
        cls,
        articles: Sequence[str] | None = None,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Filter:
        """From user input (CLI flags, API fields, form values): blanks mean no limit."""
        if articles is not None and not (
            isinstance(articles, list | tuple) and all(isinstance(a, str | None) for a in articles)
        ):
            raise QueryError(f"articles must be a list of article ids, got {reprlib.repr(articles)}")
        for value, name in ((source, "source"), (since, "since"), (until, "until")):
            if value is not None and not isinstance(value, str):
                raise QueryError(f"{name} must be text, got {reprlib.repr(value)}")
        return cls(
            tuple(a.strip() for a in articles or () if a and a.strip()),
            source.strip() if source and source.strip() else None,
            parse_date(since, "since") if since and since.strip() else None,
            parse_date(until, "until") if until and until.strip() else None,
        )

    @property
    def active(self) -> bool:
        return bool(self.articles or self.source or self.since or self.until)

    def describe(self) -> str:
        parts = []
        if self.articles:
            parts.append("articles " + ", ".join(self.articles))
        if self.source:
            parts.append(f"source containing {self.source!r}")
        if self.since or self.until:
            parts.append(f"dated {self.since or '…'} to {self.until or '…'}")
        return "; ".join(parts)

    def select(self, records: Sequence[ArticleRecord]) -> list[str]:
        """Ids of the articles that pass; an unknown id or an empty selection is an error
        that says what to change."""
        known = {r.article_id for r in records}
        unknown = [a for a in self.articles if a not in known]
        if unknown:
            raise ArticleNotFoundError(
                f"no article {', '.join(map(repr, unknown))} in the index; `qa list` shows the ids"
            )
        chosen = [r.article_id for r in records if self._passes(r)]
        if not chosen:
            raise QueryError(f"no article matches the filter ({self.describe()}); widen it")
        return chosen

    def _passes(self, record: ArticleRecord) -> bool:
        if self.articles and record.article_id not in self.articles:
            return False
        if self.source and self.source.casefold() not in (record.source or "").casefold():
            return False
        if self.since or self.until:
            try:
                day = date.fromisoformat(record.date or "")
            except ValueError:
                return False
            if (self.since and day < self.since) or (self.until and day > self.until):
                return False
        return True
