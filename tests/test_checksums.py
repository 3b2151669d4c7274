"""Every file of a version is hashed when written and checked when opened."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qa.errors import IndexCorruptError, IndexDamagedError
from qa.index.checksums import Verified, checksums


def test_checksums_cover_nested_files_and_leave_out_what_is_asked(tmp_path: Path) -> None:
    (tmp_path / "bm25").mkdir()
    (tmp_path / "bm25" / "vocab.json").write_text("{}")
    (tmp_path / "vectors.faiss").write_bytes(b"\x00" * 10)
    (tmp_path / "manifest.json").write_text("{}")
    found = checksums(tmp_path, leave_out=frozenset({"manifest.json"}))
    assert set(found) == {"bm25/vocab.json", "vectors.faiss"}
    assert found["vectors.faiss"][0] == 10
    assert set(checksums(tmp_path, "bm25")) == {"bm25/vocab.json"}


def test_verify_names_a_missing_a_truncated_and_a_changed_file(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"abcdef")
    expected = checksums(tmp_path)
    Verified().check(tmp_path, expected, contents=True)
    (tmp_path / "a.bin").write_bytes(b"abcdeF")
    Verified().check(tmp_path, expected, contents=False)
    with pytest.raises(IndexDamagedError, match="does not match its checksum"):
        Verified().check(tmp_path, expected, contents=True)
    (tmp_path / "a.bin").write_bytes(b"abc")
    with pytest.raises(IndexCorruptError, match="is 3 bytes; its manifest says 6"):
        Verified().check(tmp_path, expected, contents=False)
    (tmp_path / "a.bin").unlink()
    with pytest.raises(IndexCorruptError, match="missing"):
        Verified().check(tmp_path, expected, contents=False)


def test_a_file_changed_after_it_was_checked_is_checked_again(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"abcdef")
    expected = checksums(tmp_path)
    verified = Verified()
    verified.check(tmp_path, expected, contents=True)
    (tmp_path / "a.bin").write_bytes(b"abcdeF")
    os.utime(tmp_path / "a.bin", ns=(1, 1))  # the clock may not have moved since the check
    with pytest.raises(IndexDamagedError):
        verified.check(tmp_path, expected, contents=True)
