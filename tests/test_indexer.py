from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.engine import Engine
from qa.errors import ConfigError
from qa.index import plan
from qa.index.indexer import sync
from qa.index.store import IndexStore
from qa.settings import Settings
from qa.vectors import Embedder, bundled_model_path
from tests.conftest import ROOT, project_env, write

STORY_A = (
    "Strikes on militias\n\nThe United States struck three sites on Sunday.\n\nOfficials said all pilots returned."
)
STORY_B = "Drone attacks\n\nMilitias launched five drone attacks since April.\n\nNo Americans were hurt."
STORY_C = "Nuclear talks\n\nNegotiators met in Vienna.\n\nIsrael voiced serious reservations about the accord."


@pytest.fixture
def three(corpus: Path) -> Path:
    for name, text in (("a.txt", STORY_A), ("b.txt", STORY_B), ("c.txt", STORY_C)):
        write(corpus, name, text)
    return corpus


def test_first_sync_embeds_everything(three: Path, make_engine: Callable[..., Engine]) -> None:
    report = make_engine(three).index()
    assert (sorted(report.added), report.changed, report.removed) == (["a", "b", "c"], [], [])
    assert report.passages == report.embedded == 6
    assert report.version is not None


def test_unchanged_corpus_embeds_nothing_and_writes_nothing(three: Path, make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(three)
    engine.index()
    name = engine.store.current_name()
    report = engine.index()
    assert report.up_to_date
    assert report.embedded == 0
    assert report.unchanged == 3
    assert engine.store.current_name() == name


def test_changed_paragraph_is_the_only_one_embedded(three: Path, make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(three)
    engine.index()
    write(three, "b.txt", STORY_B.replace("five", "six"))
    report = engine.index()
    assert report.changed == ["b"]
    assert report.unchanged == 2
    assert report.embedded == 1
    assert report.passages == 6


def test_added_article_embeds_only_its_paragraphs(three: Path, make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(three)
    engine.index()
    write(three, "sub/d.md", "# Border post\n\nA February strike hit a border post.\n\nSeven munitions were dropped.")
    report = engine.index()
    assert report.added == ["sub/d"]
    assert report.embedded == 2
    assert report.passages == 8
    assert "sub/d" in {a.article_id for a in engine.articles()}


def test_deleted_article_vanishes_without_embedding(three: Path, make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(three)
    engine.index()
    (three / "c.txt").unlink()
    report = engine.index()
    assert report.removed == ["c"]
    assert report.embedded == 0
    assert report.passages == 4
    assert "c" not in {a.article_id for a in engine.articles()}
    assert all(r.passage.article_id != "c" for r in engine.search("serious reservations accord", k=4).results)


def test_passage_ids_survive_unrelated_changes(three: Path, make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(three)
    engine.index()
    before = [p.passage_id for p in engine.show("c").passages]
    write(three, "a.txt", STORY_A + "\n\nA new closing paragraph.")
    engine.index()
    assert [p.passage_id for p in engine.show("c").passages] == before == ["c#1", "c#2"]


def test_full_rebuild_re_embeds_everything(three: Path, make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(three)
    engine.index()
    report = engine.index(full=True)
    assert report.embedded == 6
    assert "full rebuild" in (report.rebuild_reason or "")


def test_other_model_means_a_full_re_embed_said_clearly(
    three: Path, tmp_path: Path, make_engine: Callable[..., Engine]
) -> None:
    make_engine(three).index()
    other = Embedder(str(bundled_model_path()))
    engine = Engine(Settings(corpus_dir=three, index_dir=tmp_path / "index", model=other.model_name), embedder=other)
    report = engine.index()
    assert "built with model 'all-MiniLM-L6-v2'" in (report.rebuild_reason or "")
    assert report.embedded == 6
    assert engine.store.open().manifest.model == other.model_name


def test_near_duplicate_is_named_and_both_stay(three: Path, make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(three)
    engine.index()
    write(three, "a-rescraped.txt", STORY_A.replace("Strikes on militias", "Updated: strikes") + "\n\nRead more...")
    report = engine.index()
    assert [(d.article_id, d.of) for d in report.near_duplicates] == [("a-rescraped", "a")]
    assert {"a", "a-rescraped"} <= {a.article_id for a in engine.articles()}


def test_bad_files_are_skipped_and_the_corpus_is_untouched(three: Path, make_engine: Callable[..., Engine]) -> None:
    write(three, "empty.txt", "")
    write(three, "photo.txt", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" * 40)
    write(three, "legacy.txt", "Café talks\n\nThe minister’s visit was cancelled.".encode("cp1252"))
    before = {p.name: p.read_bytes() for p in three.iterdir()}
    report = make_engine(three).index()
    assert {s.path for s in report.skipped} == {"empty.txt", "photo.txt"}
    assert "legacy" in report.added
    assert {p.name: p.read_bytes() for p in three.iterdir()} == before


def test_missing_corpus_folder_is_a_clear_error(tmp_path: Path, make_engine: Callable[..., Engine]) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        make_engine(tmp_path / "nowhere").index()


def test_corrupt_index_is_set_aside_and_rebuilt(three: Path, make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(three)
    engine.index()
    faiss_file = engine.store.versions / engine.store.current_name() / "vectors.faiss"
    faiss_file.write_bytes(b"\x00" * 10)
    report = engine.index()
    assert "damaged" in (report.rebuild_reason or "")
    assert report.embedded == 0
    assert engine.store.open().manifest.passages == 6
    assert list((engine.store.folder / "corrupt").iterdir())


CHILD_LOOP = """
import itertools, sys
from pathlib import Path
from qa.engine import Engine
from qa.settings import Settings
corpus, index = Path(sys.argv[1]), Path(sys.argv[2])
engine = Engine(Settings(corpus_dir=corpus, index_dir=index))
engine.index()
print("ready", flush=True)
for i in itertools.count():
    (corpus / "moving.txt").write_text(f"Moving story\\n\\nVersion {i % 3} of a changing paragraph.")
    engine.index()
"""


def assert_whole(index_dir: Path) -> None:
    version = IndexStore(index_dir).open()
    live = [p for a in version.articles() for p in version.article_passages(a.article_id)]
    assert len(live) == version.passage_count == version.manifest.passages
    assert version.integrity() == "ok"


def test_killed_writer_leaves_a_whole_index(three: Path, tmp_path: Path, embedder: Embedder) -> None:
    index_dir = tmp_path / "index"
    rng = random.Random(7)
    for _ in range(3):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD_LOOP, str(three), str(index_dir)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=project_env(),
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        try:
            child.wait(timeout=rng.uniform(0.05, 0.8))
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
            child.wait()
        assert child.returncode == -signal.SIGKILL
        assert_whole(index_dir)
    store = IndexStore(index_dir)
    report = sync(three, store, embedder)
    assert_whole(index_dir)
    assert not [p for p in store.versions.iterdir() if p.name.startswith("tmp-")]
    assert report.passages == len(store.open().article_passages("a")) + 5


CHILD_FULL_DISK = """
import resource, signal, sys
from pathlib import Path
from qa.engine import Engine
from qa.errors import QAError
from qa.settings import Settings
engine = Engine(Settings(corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2])))
engine.embedder.warm_up()
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    engine.index()
except QAError as exc:
    print(exc)
"""


def test_failed_write_keeps_the_previous_index(three: Path, tmp_path: Path, make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(three, tmp_path / "index")
    write(three, "big.txt", "Big story\n\n" + "\n\n".join(f"Paragraph {i} of the long story." for i in range(20)))
    engine.index()
    (three / "big.txt").unlink()
    engine.index()
    before = engine.store.current_name()
    write(three, "big.txt", "Big story\n\n" + "\n\n".join(f"Paragraph {i} of the long story." for i in range(20)))
    result = subprocess.run(
        [sys.executable, "-c", CHILD_FULL_DISK, str(three), str(tmp_path / "index")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=project_env(),
        timeout=120,
    )
    assert "could not write the index" in result.stdout, result.stderr
    assert "File too large" in result.stdout
    assert "previous index is untouched" in result.stdout
    assert engine.store.current_name() == before
    assert_whole(tmp_path / "index")
    assert not [p for p in engine.store.versions.iterdir() if p.name.startswith("tmp-")]
    assert "big" not in {c.article_id for c in engine.ask("What does the long story say?").citations}
    assert make_engine(three, tmp_path / "index").index().added == ["big"], "with room again, the rebuild succeeds"


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    env = {"QA_CORPUS_DIR": str(tmp_path / "c"), "QA_INDEX_DIR": str(tmp_path / "i"), "QA_MODEL": "m"}
    settings = Settings.from_env(env)
    assert (settings.corpus_dir, settings.index_dir, settings.model) == (tmp_path / "c", tmp_path / "i", "m")
    assert Settings.from_env(env, model="x").model == "x"


def test_an_added_article_goes_to_a_delta_beside_the_shared_base(
    three: Path, make_engine: Callable[..., Engine]
) -> None:
    engine = make_engine(three)
    engine.index()
    base = engine.version()
    write(three, "d.txt", "Harbour news\n\nA ferry named Gull docked in Basra.\n\nIt carried grain.")
    report = engine.index()
    version = engine.version()
    assert (report.added, report.delta_passages, report.passages) == (["d"], 2, 8)
    assert (version.manifest.base_passages, version.manifest.delta_passages) == (6, 2)
    for name in ("vectors.faiss", "sentences.npy", "passages.sqlite"):
        assert (version.folder / name).stat().st_ino == (base.folder / name).stat().st_ino, f"{name} was rewritten"
    assert engine.search("ferry Gull Basra", k=1).results[0].passage.article_id == "d"
    assert "It carried grain." in [p.text for p in engine.show("d").passages]


def test_removed_and_changed_base_articles_are_hidden_by_the_delta(
    three: Path, make_engine: Callable[..., Engine]
) -> None:
    engine = make_engine(three)
    engine.index()
    (three / "a.txt").unlink()
    write(three, "b.txt", STORY_B.replace("five drone attacks since April", "seven rocket attacks since May"))
    report = engine.index()
    version = engine.version()
    assert (report.removed, report.changed) == (["a"], ["b"])
    assert version.manifest.hidden == ["a", "b"]
    assert sorted(a.article_id for a in engine.articles()) == ["b", "c"]
    texts = [r.passage.text for r in engine.search("drone attacks since April pilots returned", k=10).results]
    assert "Militias launched seven rocket attacks since May." in texts
    assert not [t for t in texts if "five drone" in t or "pilots" in t]
    assert version.passage_count == 4
    assert_whole(engine.settings.index_dir)


def test_a_delta_past_its_limit_is_merged_into_a_new_base(
    three: Path, make_engine: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan, "DELTA_MIN_PASSAGES", 3)
    engine = make_engine(three)
    engine.index()
    write(three, "d.txt", "Harbour news\n\nA ferry docked in Basra.")
    assert engine.index().delta_passages == 1
    (three / "a.txt").unlink()
    write(three, "e.txt", "Weather\n\nA storm hit Marlow.\n\nThe bridge fell.")
    report = engine.index()
    manifest = engine.version().manifest
    assert report.delta_passages is None
    assert (manifest.base_passages, manifest.delta_passages, manifest.hidden) == (7, 0, [])
    assert report.embedded == 2, "merging embeds only the new article; the rest comes from the cache"
    assert sorted(a.article_id for a in engine.articles()) == ["b", "c", "d", "e"]


LATER_ARTICLE = """Port closed after drone sighting

July 2, 2021

The harbour authority in Umm Qasr closed the port for six hours on Friday after a drone was seen over the docks.

Eleven tankers were delayed, the authority said, and no damage was reported.
"""


def test_answers_from_a_delta_match_those_after_a_merge(
    seed_corpus: Path, tmp_path: Path, make_engine: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(seed_corpus, tmp_path / "delta-index")
    engine.index()
    write(seed_corpus, "later.txt", LATER_ARTICLE)
    assert engine.index().delta_passages
    shutil.copytree(tmp_path / "delta-index", tmp_path / "merged-index")
    monkeypatch.setattr(plan, "DELTA_MIN_PASSAGES", 0)
    merged = make_engine(seed_corpus, tmp_path / "merged-index")
    assert merged.index(full=True).delta_passages is None
    for question in (
        "Which aircraft carried out the strikes?",
        "What did the harbour authority in Umm Qasr report?",
        "How many tankers were delayed?",
        "Which militia groups were targeted?",
    ):
        ours = [r.passage.passage_id for r in engine.search(question, k=3).results]
        theirs = [r.passage.passage_id for r in merged.search(question, k=3).results]
        assert ours[0] == theirs[0]
        assert set(ours) == set(theirs)
        assert engine.ask(question).answer == merged.ask(question).answer
