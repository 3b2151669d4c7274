"""Build clean articles (title, source, date, paragraphs) from the files of a corpus folder."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from qa import cleaning, documents, reader
from qa.cleaning import match_rule, parse_byline, repair_spacing, strip_trailing_note
from qa.reader import SUFFIXES, RawArticle, UnreadableArticle, read_article
from qa.shelf import ArticleShelf, Stamp

log = logging.getLogger(__name__)

RACY_NS = 2_000_000_000
"""A file modified less than this long before a scan is not remembered by its stamp: file
times tick coarsely (a few ms here, 2 s on FAT), so a write in the same tick as the scan
leaves the stamp unchanged and would keep a half-written read for good. It is read again
next time instead (the "racy git" problem: Documentation/technical/racy-git.txt in git)."""
HEADER_ZONE = 6
"""Paragraphs at the top where site chrome, the title and the byline are looked for."""
_TITLE_MAX_WORDS = 25
_CONTAINED_MIN_WORDS = 8
READER_PACKAGES = ("charset-normalizer", "trafilatura", "markdown-it-py", "pypdf", "python-docx")
"""Libraries whose upgrade can change what is read from a file."""
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
    pages: tuple[int, ...] = ()
    """For a PDF, the page of each paragraph; empty for files without pages."""

    def page(self, paragraph: int) -> int | None:
        """The page paragraph `paragraph` (from 1) is on, if the file has pages."""
        return self.pages[paragraph - 1] if self.pages else None

    @property
    def display_title(self) -> str:
        """The title, or for untitled scrapes the opening words of the first paragraph."""
        if self.title:
            return self.title
        words = self.paragraphs[0].split() if self.paragraphs else [self.article_id]
        return " ".join(words[:12]) + ("…" if len(words) > 12 else "")

    @functools.cached_property
    def content_hash(self) -> str:
        """Changes whenever anything that is indexed changes, and only then. Kept once
        computed: every sync compares every article's hash, and articles are memoised."""
        payload: list[object] = [self.title, self.source, self.date, list(self.paragraphs)]
        if self.pages:
            payload.append(list(self.pages))
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
    return article_id_of(path.relative_to(corpus_dir).as_posix())


def article_id_of(relative: str) -> str:
    """The article id of a POSIX path relative to the corpus folder."""
    return _split(relative)[0]


def _split(relative: str) -> tuple[str, str]:
    """Article id and lower-case suffix of a relative POSIX path, as pathlib would split it."""
    folder, slash, name = relative.rpartition("/")
    dot = name.rfind(".")
    if 0 < dot < len(name) - 1:
        return folder + slash + name[:dot], name[dot:].lower()
    return folder + slash + name, ""


class CorpusFile(NamedTuple):
    relative: str
    """Path under the corpus folder, with forward slashes."""
    path: str


class ArticleMemo:
    """Articles already read, by path, size and modification time, so a sync re-reads and
    re-cleans only the files that changed: in memory for a long-running process, and on
    disk (given `shelf`, a file path) for the next process."""

    def __init__(self, shelf: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[Stamp, Article | str]] = {}
        self._shelf = ArticleShelf(shelf, reader_fingerprint()) if shelf else None

    def read(self, files: Sequence[CorpusFile], *, complete: bool = True) -> list[Article | str]:
        """Each file's article, or the reason it cannot be used. `complete`: `files` are the
        whole corpus, so the shelf forgets every other file."""
        started_ns = time.time_ns()
        stamps = {f.relative: _stamp(f.path) for f in files}
        with self._lock:
            remembered = {r: self._seen[r] for r in stamps if r in self._seen}
        found = {r: article for r, (stamp, article) in remembered.items() if stamp == stamps[r]}
        unknown = {r: s for r, s in stamps.items() if r not in found and isinstance(s, Stamp)}
        if self._shelf and unknown:
            for relative, record in self._shelf.get(unknown).items():
                try:
                    found[relative] = _from_record(record)
                except (KeyError, TypeError, ValueError) as exc:
                    log.warning("article cache record for %s is damaged (%r); reading the file", relative, exc)
        fresh: dict[str, Article | str] = {}
        for file in files:
            stamp = stamps[file.relative]
            if isinstance(stamp, str):
                found[file.relative] = stamp
            elif file.relative not in found:
                try:
                    fresh[file.relative] = build_article(
                        _split(file.relative)[0], file.relative, read_article(Path(file.path))
                    )
                except UnreadableArticle as exc:
                    fresh[file.relative] = str(exc)
        found.update(fresh)
        settled = {r: s for r, s in stamps.items() if isinstance(s, Stamp) and s.mtime_ns < started_ns - RACY_NS}
        with self._lock:
            self._seen.update((r, (s, found[r])) for r, s in settled.items())
        if self._shelf and fresh:
            records = {r: (stamp, _to_record(fresh[r])) for r, stamp in settled.items() if r in fresh}
            self._shelf.put(records, list(stamps) if complete else None)
        return [found[f.relative] for f in files]


def _stamp(path: str) -> Stamp | str:
    try:
        stat = os.stat(path)
    except OSError as exc:
        return f"cannot read file: {exc.strerror or exc}"
    return Stamp(stat.st_size, stat.st_mtime_ns)


def _to_record(article: Article | str) -> dict[str, Any]:
    if isinstance(article, str):
        return {"unreadable": article}
    return {
        "article": [article.article_id, article.path, article.title, article.source, article.date],
        "paragraphs": list(article.paragraphs),
        "dropped": [[d.position, d.text, d.reason] for d in article.dropped],
        "pages": list(article.pages),
    }


def _from_record(record: dict[str, Any]) -> Article | str:
    if "unreadable" in record:
        return str(record["unreadable"])
    dropped = tuple(Dropped(*d) for d in record["dropped"])
    article_id, path, title, source, date = record["article"]
    return Article(article_id, path, title, source, date, tuple(record["paragraphs"]), dropped, tuple(record["pages"]))


def reader_fingerprint() -> str:
    """Changes with the code that turns files into articles (ours and the libraries that
    decode and extract), so a shelf never serves articles cleaned by older rules."""
    digest = hashlib.sha256()
    for module in (sys.modules[__name__], reader, documents, cleaning):
        digest.update(Path(str(module.__file__)).read_bytes())
    for package in READER_PACKAGES:
        digest.update(f"{package} {importlib.metadata.version(package)}".encode())
    return digest.hexdigest()


def scan_corpus(corpus_dir: Path, memo: ArticleMemo | None = None) -> CorpusScan:
    """Read every supported file; unreadable ones are listed with a reason, never fatal."""
    memo = memo or ArticleMemo()
    scan = CorpusScan()
    seen: dict[str, str] = {}
    files, scan.skipped = corpus_files(corpus_dir)
    for file, result in zip(files, memo.read(files), strict=True):
        article_id, suffix = _split(file.relative)
        if suffix in SUFFIXES and article_id in seen:
            result = f"same article id as {seen[article_id]}; rename one of them"
        if isinstance(result, str):
            log.warning("skipping %s: %s", file.relative, result)
            scan.skipped.append(SkippedFile(file.relative, result))
            continue
        seen[article_id] = file.relative
        scan.articles.append(result)
    return scan


class Listing(NamedTuple):
    files: list[CorpusFile]
    skipped: list[SkippedFile]


def corpus_files(corpus_dir: Path) -> Listing:
    """(relative POSIX path, full path) of every file not hidden under a dot name, in path
    order, and what was passed over with why. Plain os.scandir and strings: a sync walks
    every file of the corpus, and at 5,000 files pathlib's objects cost more than the
    whole rest of adding one article.

    A link is followed only to a file inside the folder: a link out would put a file
    nobody dropped here into answers, and a link to a folder could loop. Pipes, sockets
    and devices are never opened (reading a pipe would wait forever)."""
    root = os.path.realpath(corpus_dir)
    listing = Listing([], [])
    pending = [("", str(corpus_dir))]
    while pending:
        prefix, folder = pending.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if not entry.name.startswith("."):
                        _list_entry(entry, prefix, root, pending, listing)
        except OSError as exc:
            log.warning("cannot list %s: %s", folder, exc)
    listing.skipped.sort(key=lambda skipped: skipped.path.split("/"))
    for skipped in listing.skipped:
        log.warning("skipping %s: %s", skipped.path, skipped.reason)
    listing.files.sort(key=lambda file: file.relative.split("/"))
    return listing


def _list_entry(
    entry: os.DirEntry[str], prefix: str, root: str, pending: list[tuple[str, str]], listing: Listing
) -> None:
    """File `entry` in the listing, queue it to be walked, or pass it over with why."""
    relative = prefix + entry.name
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        printable = os.fsencode(relative).decode("utf-8", "backslashreplace")
        listing.skipped.append(SkippedFile(printable, "its name is not valid UTF-8; rename it"))
        return
    try:
        if entry.is_dir(follow_symlinks=False):
            pending.append((f"{relative}/", entry.path))
            return
        if entry.is_symlink():
            target = os.path.realpath(entry.path)
            if os.path.commonpath([root, target]) != root:
                reason = "a link to outside the corpus folder; copy the file in instead"
            elif entry.is_dir():
                reason = "a link to a folder; links to folders are not followed"
            elif not entry.is_file():
                reason = "a link to nothing that can be read (missing, or not a regular file)"
            else:
                listing.files.append(CorpusFile(relative, entry.path))
                return
        elif entry.is_file(follow_symlinks=False):
            listing.files.append(CorpusFile(relative, entry.path))
            return
        else:
            reason = "not a regular file (a pipe, socket or device)"
    except OSError as exc:
        reason = f"cannot be looked at: {exc.strerror or exc}"
    listing.skipped.append(SkippedFile(relative, reason))


def build_article(article_id: str, path: str, raw: RawArticle) -> Article:
    """Find title and byline in the header zone, then drop boilerplate and repeats."""
    title, source, date = raw.title, raw.source, raw.date
    kept: list[str] = []
    kept_pages: list[int] = []
    dropped: list[Dropped] = []
    for position, paragraph in enumerate(raw.paragraphs, start=1):
        in_header = position <= HEADER_ZONE and not kept
        byline = parse_byline(paragraph) if in_header else None
        if byline is not None:
            source, date = source or byline.source, date or byline.date
            reason: str | None = "byline"
        else:
            reason = _drop_reason(paragraph, title if in_header or raw.title else None)
        rest = raw.paragraphs[position:]
        headline = position == 1 and raw.headed and reason in (None, "stray fragment") and _headline(paragraph)
        if (
            in_header
            and title is None
            and rest
            and (headline or (reason is None and _looks_like_title(paragraph, rest)))
        ):
            title, reason = paragraph, "title"
        if reason is None:
            paragraph, note = strip_trailing_note(repair_spacing(paragraph))
            if note:
                dropped.append(Dropped(position, note, "stray fragment"))
            reason = _repeat_reason(paragraph, kept)
        if reason is None:
            kept.append(paragraph)
            kept_pages += [raw.pages[position - 1]] if raw.pages else []
        else:
            dropped.append(Dropped(position, paragraph, reason))
    if not kept:
        raise UnreadableArticle("no reporting left after removing boilerplate")
    return Article(article_id, path, title, source, date, tuple(kept), tuple(dropped), tuple(kept_pages))


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


def _headline(paragraph: str) -> bool:
    """A line that stands alone at the top is a title however short ("Force"), if it is not prose."""
    return len(paragraph.split()) <= _TITLE_MAX_WORDS and not paragraph.endswith((".", ",", ";"))


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
