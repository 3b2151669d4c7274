"""An article's title, source and date as an editor set them, when the scrape lacks them.

Scraped files often have no title, or bury the outlet and date in site chrome. An editor
can set them; they are kept in one hidden file at the top of the corpus folder
(`.corpus-qa-metadata.json`, by article id), never by rewriting the article's file, and
override what cleaning found each time the corpus is read. Hidden files are never
articles, so the file travels with the folder and is not indexed.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.articles import Article
from qa.filters import parse_date
from qa.index.writer import fsync_dir

log = logging.getLogger(__name__)

FILE = ".corpus-qa-metadata.json"
MAX_CHARS = 300


@dataclass(frozen=True)
class Details:
    title: str | None = None
    source: str | None = None
    date: str | None = None
    """ISO date, YYYY-MM-DD."""


def load(corpus_dir: Path) -> dict[str, Details]:
    """Every article's edited details; an unreadable file is logged and ignored (the
    articles keep what cleaning found), never deleted."""
    path = corpus_dir / FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {str(a): Details(**{k: d.get(k) for k in ("title", "source", "date")}) for a, d in raw.items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        log.warning("cannot read article details from %s (%s); using what cleaning found", path, exc)
        return {}


def checked(title: str | None, source: str | None, date: str | None) -> Details:
    """Details from a form: blank means "as cleaning found it"; a date must be YYYY-MM-DD."""

    def field(value: str | None) -> str | None:
        value = " ".join((value or "").split())[:MAX_CHARS]
        return value or None

    day = field(date)
    return Details(field(title), field(source), parse_date(day, "date").isoformat() if day else None)


def save(corpus_dir: Path, article_id: str, details: Details) -> None:
    """Set one article's details (all blank: forget them), written atomically."""
    everything = load(corpus_dir)
    if details == Details():
        everything.pop(article_id, None)
    else:
        everything[article_id] = details
    data = {a: dataclasses.asdict(d) for a, d in sorted(everything.items())}
    handle, staged = tempfile.mkstemp(prefix=".metadata-", dir=corpus_dir)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False, indent=1)
        out.flush()
        os.fsync(out.fileno())
    os.replace(staged, corpus_dir / FILE)
    fsync_dir(corpus_dir)


def apply(details: dict[str, Details], articles: Sequence[Article]) -> list[Article]:
    """The articles with their edited details in place of what cleaning found."""
    out = []
    for article in articles:
        edit = details.get(article.article_id)
        if edit is None:
            out.append(article)
            continue
        changes = {k: v for k, v in dataclasses.asdict(edit).items() if v is not None}
        out.append(dataclasses.replace(article, **changes))
    return out
