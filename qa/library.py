"""Add and remove corpus articles safely, for the app's upload and remove buttons.

An upload is checked (type, size, that it decodes to text) before it touches the corpus,
written under a generated safe name inside the corpus folder, never over another article,
and made durable (fsync, then an atomic rename) before it is reported as added. A removed
article is moved out of the corpus into the index folder's `removed/`, never deleted.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from qa.articles import article_id_for
from qa.errors import QAError
from qa.index.writer import fsync_dir
from qa.reader import MAX_FILE_BYTES, SUFFIXES, UnreadableArticle, read_article

MAX_STEM_CHARS = 80
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_STAMP = "%Y%m%dT%H%M%S%fZ"
_KEPT = re.compile(r"^(\d{8}T\d{12}Z)-(.+)$")


class UploadRefused(QAError):
    """An upload that was not added; the message says why."""


@dataclass(frozen=True)
class Added:
    article_id: str
    path: Path
    note: str
    """What happened, for the user: where it went and whether its name was changed."""


@dataclass(frozen=True)
class Removed:
    article_id: str
    kept_at: Path


@dataclass(frozen=True)
class KeptFile:
    """A removed article's file in the index folder's `removed/`, which can be restored."""

    path: Path
    original: str
    """The file name it had in the corpus."""
    removed_at: str
    """When it was removed, as `YYYY-MM-DD HH:MM` UTC."""


def safe_name(name: str) -> str:
    """A file name made only of a-z, 0-9, '.', '_' and '-', with an allowed suffix.

    Directory parts, control and bidirectional-override characters, leading dots and
    reserved device names (CON, NUL, …) cannot survive it.
    """
    base = re.split(r"[\\/]", name)[-1]
    folded = unicodedata.normalize("NFKD", base.casefold()).encode("ascii", "ignore").decode()
    stem, dot, suffix = folded.rpartition(".")
    if not dot or f".{suffix}" not in SUFFIXES:
        raise UploadRefused(f"{_shown(name)}: unsupported file type; use .txt, .md, .html, .pdf or .docx")
    stem = _UNSAFE.sub("-", stem).strip(".-_")[:MAX_STEM_CHARS].strip(".-_")
    if not stem or stem.split(".")[0] in _RESERVED:
        stem = f"article-{stem}" if stem else "article"
    return f"{stem}.{suffix}"


def _shown(name: str) -> str:
    """The uploaded name as safe to show: printable, no bidi overrides, not too long."""
    printable = "".join(c for c in name if c.isprintable() and unicodedata.category(c) != "Cf")
    return printable if len(printable) <= 60 else printable[:59] + "…"


def add(corpus_dir: Path, name: str, data: bytes) -> Added:
    """Check `data` as an article called `name` and save it into the corpus folder."""
    shown = _shown(name)
    if len(data) > MAX_FILE_BYTES:
        raise UploadRefused(f"{shown}: {len(data):,} bytes is over the {MAX_FILE_BYTES:,}-byte limit")
    target_name = safe_name(name)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=corpus_dir))
    try:
        staged = staging / target_name
        try:
            with open(staged, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise UploadRefused(
                f"{shown} could not be saved: {exc.strerror or exc}; nothing was written to the corpus"
            ) from exc
        try:
            read_article(staged)
        except UnreadableArticle as exc:
            raise UploadRefused(f"{shown}: {exc}") from exc
        target, note = _free_path(corpus_dir, target_name, data)
        os.replace(staged, target)
        fsync_dir(corpus_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if target.name != name:
        note = f"{shown} saved as {target.name}" + (f" ({note})" if note else "")
    else:
        note = f"{shown} saved"
    return Added(article_id_for(target, corpus_dir), target, note)


def _free_path(corpus_dir: Path, name: str, data: bytes) -> tuple[Path, str]:
    """Where to save: the name itself, or name-2, name-3, … when an article already has it."""
    stem, suffix = name.rsplit(".", 1)
    digest = hashlib.sha256(data).hexdigest()
    for n in range(1, 1000):
        candidate_stem = stem if n == 1 else f"{stem}-{n}"
        candidate = corpus_dir / f"{candidate_stem}.{suffix}"
        if candidate.is_file() and hashlib.sha256(candidate.read_bytes()).hexdigest() == digest:
            raise UploadRefused(f"{name}: the same file is already in the corpus as {candidate.name}")
        if not any((corpus_dir / f"{candidate_stem}{s}").exists() for s in SUFFIXES):
            return candidate, "" if n == 1 else f"an article named {stem} already exists and was kept"
    raise UploadRefused(f"{name}: too many articles with this name; rename the file")


def remove(corpus_dir: Path, relative_path: str, trash_dir: Path) -> Removed:
    """Move the article at `relative_path` (as the index records it) out of the corpus."""
    corpus = corpus_dir.resolve()
    source = (corpus / relative_path).resolve()
    if not source.is_relative_to(corpus) or not source.is_file():
        raise UploadRefused(f"{relative_path}: not an article file in the corpus folder")
    trash_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime(_STAMP)
    kept = trash_dir / f"{stamp}-{source.name}"
    shutil.move(source, kept)
    fsync_dir(source.parent)
    return Removed(article_id_for(source, corpus), kept)


def kept_files(trash_dir: Path) -> list[KeptFile]:
    """Removed articles that can be restored, the most recently removed first."""
    found = []
    for path in trash_dir.iterdir() if trash_dir.is_dir() else ():
        match = _KEPT.match(path.name)
        if match and path.is_file():
            when = datetime.strptime(match.group(1), _STAMP).strftime("%Y-%m-%d %H:%M")
            found.append(KeptFile(path, match.group(2), when))
    return sorted(found, key=lambda k: k.path.name, reverse=True)


def restore(corpus_dir: Path, kept: Path, trash_dir: Path) -> Added:
    """Move a removed article's file back into the corpus under its old name (or name-2 when
    another article has taken it)."""
    trash = trash_dir.resolve()
    source = kept.resolve()
    match = _KEPT.match(source.name)
    if not source.is_relative_to(trash) or not source.is_file() or not match:
        raise UploadRefused(f"{kept.name}: not a removed article in {trash_dir}")
    data = source.read_bytes()
    target, note = _free_path(corpus_dir, safe_name(match.group(2)), data)
    shutil.move(source, target)
    fsync_dir(corpus_dir)
    shown = f"{match.group(2)} restored" + (f" as {target.name}" if target.name != match.group(2) else "")
    return Added(article_id_for(target, corpus_dir), target, shown + (f" ({note})" if note else ""))
