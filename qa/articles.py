"""Build clean articles (title, source, date, paragraphs) from the files of a corpus folder."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from qa.cleaning import match_rule, parse_byline, repair_spacing, strip_trailing_note
from qa.reader import SUFFIXES, RawArticle, UnreadableArticle, read_article

log = logging.getLogger(__name__)

HEADER_ZONE = 6
"""Paragraphs at the top where site chrome, the title and the byline are looked for."""
_TITLE_MAX_WORDS = 25
_CONTAINED_MIN_WORDS = 8
_DATELINE = re.compile(r"^[A-Z][A-Z .,'’-]{2,40}\s*(?:\([^)]*\))?\s*[–—-]\s")


@dataclass(frozen=True)
class Dropped:
    """A paragraph (or part of one) left out of the passages, and the rule that removed it."""

    position: int
    text: str
    reason: str


@dataclass(frozen=True)
class Article:
    article_id: str
    path: str
    title: str | None
    source: str | None
    date: str | None
    paragraphs: tuple[str, ...]
    dropped: tuple[Dropped, ...] = ()

    @property
    def display_title(self) -> str:
        """The title, or for untitled scrapes the opening words of the first paragraph."""
        if self.title:
            return self.title
        words = self.paragraphs[0].split() if self.paragraphs else [self.article_id]
        return " ".join(words[:12]) + ("…" if len(words) > 12 else "")

    @property
    def content_hash(self) -> str:
        """Changes whenever anything that is indexed changes, and only then."""
        payload = [self.title, self.source, self.date, list(self.paragraphs)]
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass
class CorpusScan:
    articles: list[Article] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def article_id_for(path: Path, corpus_dir: Path) -> str:
    """The path under the corpus folder without its extension, with forward slashes."""
    return path.relative_to(corpus_dir).with_suffix("").as_posix()


class ArticleMemo:
    """Articles already read, by path, size and modification time, so a long-running
    process re-reads and re-cleans only the files that changed since its last scan."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[int, int, Article | str]] = {}

    def read(self, path: Path, article_id: str, relative: str) -> Article:
        stat = path.stat()
        with self._lock:
            known = self._seen.get(relative)
        if known is not None and known[:2] == (stat.st_size, stat.st_mtime_ns):
            result = known[2]
        else:
            try:
                result = build_article(article_id, relative, read_article(path))
            except UnreadableArticle as exc:
                result = str(exc)
            with self._lock:
                self._seen[relative] = (stat.st_size, stat.st_mtime_ns, result)
        if isinstance(result, str):
            raise UnreadableArticle(result)
        return result


def scan_corpus(corpus_dir: Path, memo: ArticleMemo | None = None) -> CorpusScan:
    """Read every supported file; unreadable ones are listed with a reason, never fatal."""
    memo = memo or ArticleMemo()
    scan = CorpusScan()
    seen: dict[str, str] = {}
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(corpus_dir).as_posix()
        if any(part.startswith(".") for part in path.relative_to(corpus_dir).parts):
            continue
        article_id = article_id_for(path, corpus_dir)
        try:
            if path.suffix.lower() in SUFFIXES and article_id in seen:
                raise UnreadableArticle(f"same article id as {seen[article_id]}; rename one of them")
            article = memo.read(path, article_id, relative)
        except (UnreadableArticle, OSError) as exc:
            log.warning("skipping %s: %s", relative, exc)
            scan.skipped.append(SkippedFile(relative, str(exc)))
            continue
        seen[article_id] = relative
        scan.articles.append(article)
    return scan


def build_article(article_id: str, path: str, raw: RawArticle) -> Article:
    """Find title and byline in the header zone, then drop boilerplate and repeats."""
    title, source, date = raw.title, raw.source, raw.date
    kept: list[str] = []
    dropped: list[Dropped] = []
    for position, paragraph in enumerate(raw.paragraphs, start=1):
        in_header = position <= HEADER_ZONE and not kept
        byline = parse_byline(paragraph) if in_header else None
        if byline is not None:
            source, date = source or byline.source, date or byline.date
            reason: str | None = "byline"
        else:
            reason = _drop_reason(paragraph, title if in_header or raw.title else None)
        if reason is None and in_header and title is None and _looks_like_title(paragraph, raw.paragraphs[position:]):
            title, reason = paragraph, "title"
        if reason is None:
            paragraph, note = strip_trailing_note(repair_spacing(paragraph))
            if note:
                dropped.append(Dropped(position, note, "stray fragment"))
            reason = _repeat_reason(paragraph, kept)
        if reason is None:
            kept.append(paragraph)
        else:
            dropped.append(Dropped(position, paragraph, reason))
    if not kept:
        raise UnreadableArticle("no reporting left after removing boilerplate")
    return Article(article_id, path, title, source, date, tuple(kept), tuple(dropped))


def _drop_reason(paragraph: str, title: str | None) -> str | None:
    if title is not None and _fold(paragraph) == _fold(title):
        return "title"
    rule = match_rule(paragraph)
    return rule.name if rule else None


def _looks_like_title(paragraph: str, rest: list[str]) -> bool:
    """A headline is short, has no final full stop and no dateline, and text follows it."""
    words = paragraph.split()
    return (
        bool(rest)
        and 2 <= len(words) <= _TITLE_MAX_WORDS
        and not paragraph.endswith((".", ",", ";"))
        and not _DATELINE.match(paragraph)
    )


def _repeat_reason(paragraph: str, kept: list[str]) -> str | None:
    folded = _fold(paragraph)
    for earlier in kept:
        folded_earlier = _fold(earlier)
        if folded == folded_earlier:
            return "repeated paragraph"
        if len(paragraph.split()) >= _CONTAINED_MIN_WORDS and folded in folded_earlier:
            return "repeated paragraph"
    return None


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").replace("“", '"').replace("”", '"').split())
