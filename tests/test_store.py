from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from qa.articles import Article
from qa.errors import IndexBusyError, IndexCorruptError, IndexMismatchError, IndexMissingError
from qa.index.format import SentenceRecord
from qa.index.store import KEEP_VERSIONS, IndexStore
from qa.index.writer import VersionContent
from qa.passages import passages_of


def content(*texts: str, model: str = "m") -> VersionContent:
    article = Article("a", "a.txt", "Title", "Src", "2021-06-27", texts)
    passages = passages_of(article)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(passages), 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sentences = [SentenceRecord(row, row, 0, len(p.text)) for row, p in enumerate(passages)]
    indexed_at = {"a": "2021-06-28T00:00:00+00:00"}
    return VersionContent(model, [article], indexed_at, passages, vectors, sentences, vectors.copy())


def written(tmp_path: Path, *texts: str) -> IndexStore:
    store = IndexStore(tmp_path / "index")
    with store.lock():
        store.write(content(*texts))
    return store


def test_round_trip(tmp_path: Path) -> None:
    store = written(tmp_path, "One paragraph.", "Another paragraph.")
    version = store.open()
    assert version.manifest.passages == 2
    assert version.manifest.model == "m"
    assert version.manifest.dimension == 8
    assert [p.text for p in version.passages([1, 0])] == ["Another paragraph.", "One paragraph."]
    (record,) = version.articles()
    assert (record.title, record.source, record.date, record.paragraphs) == ("Title", "Src", "2021-06-27", 2)
    assert version.segments.search("another", 2)[0].row == 1


def test_missing_index_is_reported(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="qa index"):
        IndexStore(tmp_path / "index").open()


def test_new_version_switches_pointer_and_old_ones_are_pruned(tmp_path: Path) -> None:
    store = written(tmp_path, "First.")
    first = store.current_name()
    reader = store.open()
    for n in range(4):
        with store.lock():
            store.write(content(f"Version {n}."))
    assert store.current_name() != first
    assert len(list(store.versions.iterdir())) == KEEP_VERSIONS
    assert reader.passages([0])[0].text == "First.", "an open reader keeps its whole version"
    assert store.open().passages([0])[0].text == "Version 3."


def test_leftover_temporary_folders_are_cleaned(tmp_path: Path) -> None:
    store = written(tmp_path, "Text.")
    (store.versions / "tmp-crashed").mkdir()
    store.prune()
    assert not (store.versions / "tmp-crashed").exists()
    assert store.open().manifest.passages == 1


def test_truncated_faiss_file_is_detected(tmp_path: Path) -> None:
    store = written(tmp_path, "Text.")
    path = store.versions / store.current_name() / "vectors.faiss"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(IndexCorruptError, match="bytes; its manifest says"):
        store.open()
    with pytest.raises(IndexCorruptError, match="bytes; its manifest says"):
        store.open(mapped=True)


def test_damaged_sqlite_is_detected(tmp_path: Path) -> None:
    store = written(tmp_path, "Text.")
    (store.versions / store.current_name() / "passages.sqlite").write_bytes(b"garbage" * 1000)
    with pytest.raises(IndexCorruptError):
        store.open()


def without_checksums(store: IndexStore) -> None:
    """As a version written before checksums were kept: its files' counts are still checked."""
    manifest = store.versions / str(store.current_name()) / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "checksums": {}}))


def test_vector_count_must_match_passage_rows(tmp_path: Path) -> None:
    store = written(tmp_path, "One.", "Two.")
    without_checksums(store)
    db = sqlite3.connect(store.versions / store.current_name() / "passages.sqlite")
    with db:
        db.execute("DELETE FROM passages WHERE row = 1")
    db.close()
    with pytest.raises(IndexCorruptError, match="inconsistent"):
        store.open()


def test_sentence_vectors_must_match_sentence_rows(tmp_path: Path) -> None:
    store = written(tmp_path, "One.", "Two.")
    without_checksums(store)
    np.save(store.versions / store.current_name() / "sentences.npy", np.zeros((1, 8), dtype=np.float32))
    with pytest.raises(IndexCorruptError, match="sentence vectors"):
        store.open()


@pytest.mark.parametrize("name", ["vectors.faiss", "sentences.npy", "passages.sqlite", "bm25"])
def test_a_flipped_byte_in_any_file_is_caught_by_its_checksum(tmp_path: Path, name: str) -> None:
    store = written(tmp_path, "One.", "Two.")
    folder = store.versions / str(store.current_name())
    path = folder / name if name != "bm25" else sorted((folder / name).iterdir())[0]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="does not match its checksum"):
        IndexStore(tmp_path / "index").open()


def test_every_file_of_a_version_has_a_checksum(tmp_path: Path) -> None:
    store = written(tmp_path, "One.", "Two.")
    version = store.open()
    files = {p.relative_to(version.folder).as_posix() for p in version.folder.rglob("*") if p.is_file()}
    assert set(version.manifest.checksums) == files - {"manifest.json"}


def test_sentences_point_into_their_passages(tmp_path: Path) -> None:
    version = written(tmp_path, "One.", "Two.").open()
    assert version.sentences([1]) == [SentenceRecord(1, 1, 0, 4)]
    assert version.sentence_vectors([1, 0]).shape == (2, 8)


def test_other_format_version_is_a_mismatch(tmp_path: Path) -> None:
    store = written(tmp_path, "Text.")
    manifest = store.versions / store.current_name() / "manifest.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "format_version": 999}))
    with pytest.raises(IndexMismatchError, match="format 999"):
        store.open()


def test_set_aside_moves_never_deletes(tmp_path: Path) -> None:
    store = written(tmp_path, "Text.")
    name = store.current_name()
    aside = store.set_aside("testing")
    assert aside is not None
    assert (aside / "manifest.json").exists()
    assert (aside / "REASON.txt").read_text().strip() == "testing"
    assert store.current_name() is None
    assert not (store.versions / name).exists()


def test_second_writer_waits_then_reports_busy(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index")
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with IndexStore(tmp_path / "index").lock():
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(10)
    try:
        with pytest.raises(IndexBusyError, match="another process is rebuilding"), store.lock(timeout=0.3):
            pass
    finally:
        release.set()
        thread.join()
    with store.lock(timeout=1):
        pass


def test_a_lock_left_by_a_killed_writer_is_free(tmp_path: Path) -> None:
    """The lock is the kernel's (flock): it dies with its process, whatever the file says."""
    code = (
        "import sys, time; from pathlib import Path; from qa.index.store import IndexStore\n"
        "with IndexStore(Path(sys.argv[1])).lock():\n    print('held', flush=True); time.sleep(60)\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "index")], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "held"
    store = IndexStore(tmp_path / "index")
    with pytest.raises(IndexBusyError), store.lock(timeout=0.2):
        pass
    writer.kill()
    writer.wait()
    assert (tmp_path / "index" / ".lock").exists(), "the stale file is still there"
    with store.lock(timeout=1):
        pass
