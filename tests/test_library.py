from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from qa.library import UploadRefused, add, kept_files, remove, restore, safe_name
from qa.reader import MAX_FILE_BYTES
from tests.conftest import ROOT

TEXT = b"Rescue teams pulled a fisherman named Tom Alder from the sea on Friday.\n"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../x.txt", "x.txt"),
        ("/etc/passwd.txt", "passwd.txt"),
        ("..\\..\\win.md", "win.md"),
        ("CON.txt", "article-con.txt"),
        ("Über Straße.HTML", "uber-strasse.html"),
        ("evil\u202etxt.md", "eviltxt.md"),
        (".hidden.txt", "hidden.txt"),
        ("a" * 300 + ".txt", "a" * 80 + ".txt"),
        ("....txt", "article.txt"),
    ],
)
def test_safe_names(name: str, expected: str) -> None:
    assert safe_name(name) == expected


def test_unsupported_type_is_refused() -> None:
    with pytest.raises(UploadRefused, match="unsupported file type"):
        safe_name("payload.exe")


def test_added_article_lands_inside_the_corpus(corpus: Path) -> None:
    added = add(corpus, "../../Late News.txt", TEXT)
    assert added.path == corpus / "late-news.txt"
    assert added.article_id == "late-news"
    assert added.path.read_bytes() == TEXT
    assert "saved as late-news.txt" in added.note
    assert [p.name for p in corpus.iterdir()] == ["late-news.txt"]


def test_existing_articles_are_never_overwritten(corpus: Path) -> None:
    (corpus / "news.md").write_text("An older article about something else entirely.\n")
    added = add(corpus, "news.txt", TEXT)
    assert added.path.name == "news-2.txt"
    assert "already exists and was kept" in added.note
    with pytest.raises(UploadRefused, match=r"already in the corpus as news-2\.txt"):
        add(corpus, "news.txt", TEXT)
    assert (corpus / "news.md").read_text().startswith("An older article")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02\xff\xfe" * 200, "binary"),
        (b"x" * (MAX_FILE_BYTES + 1), "limit"),
    ],
)
def test_bad_uploads_are_refused_and_leave_nothing(corpus: Path, data: bytes, reason: str) -> None:
    with pytest.raises(UploadRefused, match=reason):
        add(corpus, "bad.txt", data)
    assert list(corpus.iterdir()) == []


def test_other_encodings_are_accepted(corpus: Path) -> None:
    add(corpus, "cp.txt", "Café owners in Marlow said the storm ruined their terraces.\n".encode("cp1252"))
    add(corpus, "u16.txt", "Engineers said the bridge could not be saved.\n".encode("utf-16"))
    assert {p.name for p in corpus.iterdir()} == {"cp.txt", "u16.txt"}


def test_removed_articles_are_kept_outside_the_corpus(corpus: Path, tmp_path: Path) -> None:
    add(corpus, "gone.txt", TEXT)
    removed = remove(corpus, "gone.txt", tmp_path / "removed")
    assert removed.article_id == "gone"
    assert removed.kept_at.read_bytes() == TEXT
    assert not (corpus / "gone.txt").exists()
    with pytest.raises(UploadRefused):
        remove(corpus, "../outside.txt", tmp_path / "removed")


def test_a_removed_article_can_be_restored(corpus: Path, tmp_path: Path) -> None:
    trash = tmp_path / "removed"
    add(corpus, "gone.txt", TEXT)
    remove(corpus, "gone.txt", trash)
    (kept,) = kept_files(trash)
    assert kept.original == "gone.txt"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", kept.removed_at)
    restored = restore(corpus, kept.path, trash)
    assert restored.article_id == "gone"
    assert (corpus / "gone.txt").read_bytes() == TEXT
    assert kept_files(trash) == []
    with pytest.raises(UploadRefused, match="not a removed article"):
        restore(corpus, corpus / "gone.txt", trash)


def test_a_restore_never_overwrites_a_newer_article(corpus: Path, tmp_path: Path) -> None:
    trash = tmp_path / "removed"
    add(corpus, "gone.txt", TEXT)
    remove(corpus, "gone.txt", trash)
    add(corpus, "gone.txt", b"A different report about the harbour, written later.\n")
    restored = restore(corpus, kept_files(trash)[0].path, trash)
    assert restored.path.name == "gone-2.txt"
    assert "restored as gone-2.txt" in restored.note
    assert (corpus / "gone.txt").read_bytes().startswith(b"A different report")


FULL_DISK = """
import resource, signal, sys
from pathlib import Path
from qa.library import UploadRefused, add
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))
try:
    add(Path(sys.argv[1]), "long.txt", b"Long report\\n\\n" + b"The port reopened on Tuesday. " * 200)
except UploadRefused as exc:
    print(exc)
"""


def test_an_upload_the_disk_cannot_take_is_reported_and_leaves_nothing(corpus: Path) -> None:
    """RLIMIT_FSIZE makes writes past 1 kB fail as a full disk does (EFBIG rather than ENOSPC)."""
    (corpus / "kept.txt").write_text("Kept\n\nAn article already here.\n")
    result = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(corpus)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert "long.txt could not be saved: File too large; nothing was written to the corpus" in result.stdout, (
        result.stderr
    )
    assert sorted(p.name for p in corpus.iterdir()) == ["kept.txt"], "no partial file, no staging folder"
