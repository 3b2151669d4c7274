"""Read the text of PDF and Word (DOCX) files, with the page each paragraph is on.

Reports and press releases arrive as PDF or DOCX. The format is told by the file's first
bytes, not its name: a PDF saved as `.txt` would otherwise be indexed as PDF syntax. PDF
text comes from its text layer (pypdf), page by page, so a citation can say "p. 3 ¶2";
a scan without a text layer has no words to cite and is refused with what to do about it.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
DOCX_PART = "word/document.xml"
MIN_TEXT_CHARS = 20
"""A PDF with less text than this on all its pages is a scan (or empty), not a document."""


class DocumentError(Exception):
    """A PDF or DOCX file that has no readable text; the message says why."""


@dataclass(frozen=True)
class DocumentText:
    pages: list[str]
    """Text of each page (a DOCX is one page), lines as the file gives them."""
    title: str | None
    paged: bool
    """Whether the pages are real pages (PDF) whose numbers belong in citations."""


def kind_of(data: bytes) -> str | None:
    """ "pdf", "docx" or None (not one of them), from the content."""
    if data[:1024].lstrip().startswith(PDF_MAGIC):
        return "pdf"
    if data.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "docx" if DOCX_PART in archive.namelist() else None
        except zipfile.BadZipFile:
            return None
    return None


def read_document(data: bytes, kind: str) -> DocumentText:
    return _read_pdf(data) if kind == "pdf" else _read_docx(data)


def _read_pdf(data: bytes) -> DocumentText:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
        pages = [] if encrypted else [page.extract_text() or "" for page in reader.pages]
        title = "" if encrypted or not reader.metadata else (reader.metadata.title or "").strip()
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise DocumentError(f"the PDF cannot be read: {exc}") from exc
    if encrypted:
        raise DocumentError("the PDF is encrypted; save an unprotected copy and add that")
    if sum(len(p.strip()) for p in pages) < MIN_TEXT_CHARS:
        raise DocumentError(
            f"the PDF has no text layer ({len(pages)} page(s) of images, as a scan has); "
            "run OCR on it (for example ocrmypdf) and add the result"
        )
    return DocumentText(pages, title or None, paged=True)


def _read_docx(data: bytes) -> DocumentText:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise DocumentError(f"the Word file cannot be read: {exc}") from exc
    lines, title = [], (document.core_properties.title or "").strip() or None
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        if title is None and paragraph.style is not None and paragraph.style.name in ("Title", "Heading 1"):
            title = text
            continue
        lines.append(text)
    if not lines:
        raise DocumentError("the Word file has no text")
    return DocumentText(["\n\n".join(lines)], title, paged=False)
