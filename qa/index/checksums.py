"""Hash a version's files when written, verify them when opened.

FAISS and NumPy read a file with flipped bytes without complaint, and SQLite notices only
when the damaged page is read, so a damaged version could answer from vectors that no
longer match their passages. The manifest records each file's size and SHA-256; opening
a version for serving checks both (about a second per GB here), opening it memory-mapped
for a rebuild only the sizes, which catch truncation in constant time. A file already
checked, by device, inode, size and modification time, is not read again: a delta
version shares its base's files through hard links, so adding an article re-checks only
the delta.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from qa.errors import IndexCorruptError, IndexDamagedError

CHUNK = 1 << 20
FileSum = tuple[int, str]
"""A file's size in bytes and its SHA-256, hex."""


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def checksums(folder: Path, under: str = "", leave_out: frozenset[str] = frozenset()) -> dict[str, FileSum]:
    """Size and SHA-256 of every file in `folder`/`under`, by its path in `folder`."""
    found: dict[str, FileSum] = {}
    for path in sorted((folder / under).rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and relative not in leave_out:
            found[relative] = (path.stat().st_size, digest(path))
    return found


class Verified:
    """The files this process has checked, so shared ones are read once; safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: set[tuple[int, int, int, int, str]] = set()

    def check(self, folder: Path, expected: dict[str, FileSum], *, contents: bool) -> None:
        """Raise IndexCorruptError naming the first file that is missing, of another size or,
        with `contents`, of other bytes than the manifest says."""
        for relative, (size, sha) in expected.items():
            path = folder / relative
            try:
                stat = os.stat(path)
            except OSError as exc:
                raise IndexCorruptError(f"{path} is missing or unreadable: {exc.strerror or exc}") from exc
            if stat.st_size != size:
                raise IndexCorruptError(f"{path} is {stat.st_size:,} bytes; its manifest says {size:,}")
            key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, sha)
            if not contents or key in self._known:
                continue
            if digest(path) != sha:
                raise IndexDamagedError(f"{path} does not match its checksum: the file is damaged")
            with self._lock:
                self._known.add(key)
