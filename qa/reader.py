"""Turn one article file (.txt, .md, .html, .pdf, .docx) into plain paragraphs and metadata.

PDF and DOCX are told by their content (qa.documents), whatever the file is called.
Decoding text tries UTF-8 and byte-order marks first, then charset detection; HTML goes
through trafilatura's main-text extraction, Markdown through markdown-it's parser.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.documents import DocumentError, kind_of, read_document
from qa.errors import QAError

DOCUMENT_SUFFIXES = (".pdf", ".docx")
SUFFIXES = (".txt", ".md", ".html", ".htm", *DOCUMENT_SUFFIXES)
MAX_FILE_BYTES = 5 * 1024 * 1024
_CONTROL_SHARE_LIMIT = 0.01
_WRAP_MIN_CHARS = 50
_SENTENCE_END = tuple(".!?:;\"'”’)]")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class UnreadableArticle(QAError):
    """A file that cannot become an article; the message says why."""


@dataclass(frozen=True)
class RawArticle:
    """Paragraphs in reading order, before any cleaning, plus metadata the format gave."""

    paragraphs: list[str]
    title: str | None = None
    source: str | None = None
    date: str | None = None
    encoding: str = "utf-8"
    headed: bool = False
    """The text's first line stands alone (a blank line follows it), as a headline does."""
    pages: list[int] | None = None
    """For a PDF, the page each paragraph is on (from 1); None for files without pages."""


def _read_bounded(path: Path) -> bytes:
    """The file's bytes, if it is a regular file within the size limit. Opened without
    blocking and checked on the open descriptor, so a pipe put in its place is refused
    rather than waited on, and read no further than the limit, so a file that grows
    while it is read cannot take the memory. A file written to while it is read (its size
    or modification time moved) is refused rather than indexed half old, half new."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise UnreadableArticle("not a regular file (a pipe, socket or device)")
            if info.st_size > MAX_FILE_BYTES:
                raise UnreadableArticle(f"file is {info.st_size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
            data = handle.read(MAX_FILE_BYTES + 1)
            after = os.fstat(handle.fileno())
    except OSError as exc:
        raise UnreadableArticle(f"cannot read file: {exc.strerror or exc}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableArticle(f"file grew past the limit of {MAX_FILE_BYTES:,} bytes while it was read")
    if (after.st_size, after.st_mtime_ns) != (info.st_size, info.st_mtime_ns) or len(data) != info.st_size:
        raise UnreadableArticle("the file changed while it was read; it is read again on the next rebuild")
    return data


def read_article(path: Path) -> RawArticle:
    """Read and decode one file; raise UnreadableArticle with a reason a user can act on."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UnreadableArticle(f"unsupported file type {suffix or '(none)'}; use .txt, .md, .html, .pdf or .docx")
    data = _read_bounded(path)
    kind = kind_of(data)
    if kind is not None:
        raw, encoding = _from_document(data, kind), kind
    elif suffix in DOCUMENT_SUFFIXES:
        raise UnreadableArticle(f"named {suffix} but it is not a {suffix[1:].upper()} file")
    else:
        text, encoding = decode(data)
        if suffix in (".html", ".htm"):
            raw = _from_html(text)
        elif suffix == ".md":
            raw = _from_markdown(text)
        else:
            raw = RawArticle(paragraphs=split_paragraphs(text), headed=first_line_alone(text))
    pages = raw.pages or [0] * len(raw.paragraphs)
    kept = [(q, page) for q, page in zip((normalize_space(p) for p in raw.paragraphs), pages, strict=True) if q]
    if not kept:
        raise UnreadableArticle("no text found")
    return RawArticle(
        [q for q, _ in kept],
        raw.title,
        raw.source,
        raw.date,
        encoding,
        raw.headed,
        [page for _, page in kept] if raw.pages else None,
    )


def _from_document(data: bytes, kind: str) -> RawArticle:
    try:
        document = read_document(data, kind)
    except DocumentError as exc:
        raise UnreadableArticle(str(exc)) from exc
    paragraphs: list[str] = []
    pages: list[int] = []
    for number, text in enumerate(document.pages, start=1):
        found = split_paragraphs(text)
        paragraphs += found
        pages += [number] * len(found)
    return RawArticle(paragraphs, document.title, pages=pages if document.paged else None)


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name); refuse empty and binary data."""
    if not data.strip():
        raise UnreadableArticle("file is empty")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(data.decode(encoding, errors="replace"), encoding)
    if b"\x00" in data:
        raise UnreadableArticle("binary file (contains NUL bytes)")
    try:
        return _checked(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise UnreadableArticle("not text: no character encoding fits it")
    return _checked(str(best), best.encoding)


def _checked(text: str, encoding: str) -> tuple[str, str]:
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f")
    if controls > _CONTROL_SHARE_LIMIT * len(text):
        raise UnreadableArticle(f"binary file ({controls} control characters)")
    return text, encoding


def normalize_space(text: str) -> str:
    """Fold exotic spaces (NBSP, thin, zero-width) and collapse runs into one space."""
    text = re.sub(r"[\u200b\u200c\u200d\u2060\ufeff]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def first_line_alone(text: str) -> bool:
    """Whether the first non-blank line is followed by a blank line and then more text."""
    lines = text.strip().splitlines()
    return len(lines) > 2 and not lines[1].strip()


def split_paragraphs(text: str) -> list[str]:
    """One paragraph per line, except hard-wrapped prose, whose lines are joined.

    Scraped news puts a paragraph on each line (sometimes without blank lines between);
    a long line that stops mid-sentence is a wrap, not a paragraph end.
    """
    paragraphs: list[str] = []
    joining = False
    for line in text.splitlines():
        line = line.strip()
        if not line:
            joining = False
            continue
        if joining:
            paragraphs[-1] += " " + line
        else:
            paragraphs.append(line)
        joining = len(line) >= _WRAP_MIN_CHARS and not line.endswith(_SENTENCE_END)
    return paragraphs


def _from_html(html: str) -> RawArticle:
    import trafilatura

    # A trafilatura Document; its annotations also allow the dict that as_dict=True gives.
    doc: Any = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=False)
    if doc is None or not (doc.text or "").strip():
        raise UnreadableArticle("no main text found in the HTML")
    return RawArticle(
        paragraphs=doc.text.splitlines(),
        title=doc.title or None,
        source=doc.sitename or doc.hostname or None,
        date=doc.date or None,
    )


def _from_markdown(text: str) -> RawArticle:
    """Plain text of each block; the first heading before any paragraph is the title."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(text)
    title: str | None = None
    paragraphs: list[str] = []
    for opener, inline in zip(tokens, [*tokens[1:], None], strict=True):
        if opener.type in ("fence", "code_block"):
            paragraphs.append(opener.content)
        if inline is None or opener.type not in ("heading_open", "paragraph_open"):
            continue
        plain = "".join(
            child.content if child.type in ("text", "code_inline") else " "
            for child in inline.children or []
            if child.type in ("text", "code_inline", "softbreak", "hardbreak")
        )
        if opener.type == "heading_open" and title is None and not paragraphs:
            title = normalize_space(plain) or None
        else:
            paragraphs.append(plain)
    return RawArticle(paragraphs=paragraphs, title=title)
