"""Keep index versions on disk so that a crash at any moment leaves a whole one.

The folder's layout and the version format are qa.index.format's.

A new version is written into its own folder beside the live one, every file and folder
is fsynced, and only then does CURRENT change. Readers read CURRENT and open that folder,
so they see the old version or the new one, never a half-written one.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qa.errors import IndexBusyError, IndexCorruptError, IndexDamagedError, IndexMissingError, IndexWriteError
from qa.index.checksums import Verified
from qa.index.format import CORRUPT, CURRENT, LOCK, VERSIONS
from qa.index.plan import DeltaBase
from qa.index.version import IndexVersion
from qa.index.writer import VersionContent, fsync_dir, write_delta_version, write_durably, write_version

log = logging.getLogger(__name__)

KEEP_VERSIONS = 2
"""The live version and the one before it, for readers still opening it."""


class IndexStore:
    """The index folder: open the live version, or write a new one under the writer lock."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.versions = folder / VERSIONS
        self.verified = Verified()

    def current_name(self) -> str | None:
        try:
            # errors="replace": damaged bytes name a version that does not exist, which
            # open reports as damage, rather than failing every caller here.
            return (self.folder / CURRENT).read_bytes().decode(errors="replace").strip() or None
        except FileNotFoundError:
            return None

    def open(self, *, mapped: bool = False) -> IndexVersion:
        """The live version. `mapped` opens it in constant time by memory-mapping IVF lists
        rather than reading them, at about twice the cost per IVF search: right for a
        rebuild, which searches little, wrong for serving questions."""
        name = self.current_name()
        if name is None:
            raise IndexMissingError(f"no index in {self.folder}; run `qa index` to build it")
        folder = self.versions / name
        if not folder.is_dir():
            raise IndexCorruptError(f"{self.folder / 'CURRENT'} names {name}, which does not exist")
        try:
            return IndexVersion(folder, mapped=mapped, verified=self.verified)
        except IndexDamagedError as exc:
            self._set_aside_if_live(name, str(exc))
            raise

    def _set_aside_if_live(self, name: str, reason: str) -> None:
        """A rebuild opens the live version memory-mapped, checking sizes but not contents,
        and would build on a damaged one; so the open that finds the damage moves it
        aside, unless a rebuild has switched to a new version meanwhile."""
        with self.lock():
            if self.current_name() == name:
                self.set_aside(reason)

    @contextmanager
    def lock(self, timeout: float = 300.0) -> Iterator[None]:
        """One writer at a time; others wait up to `timeout` seconds, then get IndexBusyError."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / LOCK, "a+") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusyError(
                            f"another process is rebuilding {self.folder}; try again shortly"
                        ) from None
                    time.sleep(0.2)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def write(self, content: VersionContent, delta_of: DeltaBase | None = None) -> str:
        """Write a version beside the live one and switch to it. Call with the lock held.

        With `delta_of`, `content` is only what changed since that version's base."""
        self.versions.mkdir(parents=True, exist_ok=True)
        name = f"v{time.time_ns()}-{uuid.uuid4().hex[:6]}"
        tmp = self.versions / f"tmp-{name}"
        try:
            tmp.mkdir()
            if delta_of is None:
                write_version(tmp, content)
            else:
                base = delta_of.version
                live = (delta_of.live_base_passages + len(content.passages), delta_of.articles)
                write_delta_version(tmp, base.folder, base.manifest, content, delta_of.hidden, live)
            os.rename(tmp, self.versions / name)
            fsync_dir(self.versions)
            pointer = self.folder / "CURRENT.tmp"
            write_durably(pointer, name.encode())
            os.replace(pointer, self.folder / CURRENT)
            fsync_dir(self.folder)
        except (OSError, sqlite3.Error) as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            cause = getattr(exc, "strerror", None) or exc
            raise IndexWriteError(
                f"could not write the index to {self.folder}: {cause}; the previous index is untouched"
            ) from exc
        self.prune()
        return name

    def prune(self) -> None:
        """Remove left-over temporary folders and versions older than KEEP_VERSIONS."""
        if not self.versions.is_dir():
            return
        current = self.current_name()
        done = sorted(p for p in self.versions.iterdir() if p.name.startswith("v"))
        keep = {p.name for p in done[-KEEP_VERSIONS:]} | {current}
        for path in self.versions.iterdir():
            if path.name not in keep:
                log.debug("removing old index folder %s", path)
                shutil.rmtree(path, ignore_errors=True)

    def set_aside(self, reason: str) -> Path | None:
        """Move the live version out of the way (never delete it) so a rebuild can start."""
        name = self.current_name()
        if name is None:
            return None
        aside = self.folder / CORRUPT / f"{name}-{int(time.time())}"
        aside.parent.mkdir(parents=True, exist_ok=True)
        source = self.versions / name
        if source.exists():
            os.rename(source, aside)
        else:
            aside.mkdir()
        (aside / "REASON.txt").write_text(reason + "\n")
        (self.folder / CURRENT).unlink(missing_ok=True)
        log.warning("index version %s set aside in %s: %s", name, aside, reason)
        return aside
