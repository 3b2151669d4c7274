"""Kill a rebuilding process 100 times with SIGKILL and check the index after every kill.

After each kill: the index opens at a committed version; the FAISS vector count equals the
passage rows; SQLite's integrity_check says ok; the article being rewritten is indexed
whole at one of its versions, never a mix; the answer to a question about it matches one
of the answers from before or after a rebuild. The next rebuild removes leftover temporary
folders. The rebuilding process is forked from one that has the model loaded, so each
round costs a fork, not a model load. It is warmed up first, which sets FAISS to one thread
as the app runs it: a GNU OpenMP thread pool started before a fork hangs the child at its
next FAISS search, and then no kill would land inside a rebuild. tqdm (which the model's
encode enters even with its bar off) is given a lock private to each process: its default
one is shared across fork, and a child killed holding it would hang this process.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.engine import Engine  # noqa: E402
from qa.index.store import IndexStore  # noqa: E402
from qa.settings import Settings, force_offline  # noqa: E402

QUESTION = "Which version of the moving story is this?"
BACKGROUND = [
    "A storm destroyed the old harbour bridge in Marlow on Tuesday night.",
    "The regional health ministry said schools will stay closed until Friday.",
    "Engineers said the bridge from 1902 could not be saved.",
]


def moving_story(version: int) -> str:
    return (
        f"Moving story\n\nThis is version {version} of the moving story, first paragraph.\n\n"
        f"Version {version} continues here, in the second paragraph of the moving story.\n"
    )


def check(index_dir: Path) -> int:
    """The version number the moving story is indexed at; raises AssertionError if anything is off."""
    version = IndexStore(index_dir).open()
    live = [p for a in version.articles() for p in version.article_passages(a.article_id)]
    assert len(live) == version.passage_count, "live passages differ from the manifest"
    integrity = version.integrity()
    assert integrity == "ok", integrity
    seen = {int(m) for p in version.article_passages("moving") for m in re.findall(r"[Vv]ersion (\d+)", p.text)}
    assert len(seen) == 1, f"moving story indexed as a mix of versions {seen}"
    version.close()
    return seen.pop()


def rebuild_forever(engine: Engine, corpus: Path) -> None:
    rng = random.Random(os.getpid())
    while True:
        (corpus / "moving.txt").write_text(moving_story(rng.randrange(5)), encoding="utf-8")
        engine.index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    args = parser.parse_args()
    force_offline()
    tqdm.tqdm.set_lock(threading.RLock())
    with tempfile.TemporaryDirectory(prefix="qa-crash-") as folder:
        corpus, index = Path(folder) / "corpus", Path(folder) / "index"
        corpus.mkdir()
        for n, text in enumerate(BACKGROUND):
            (corpus / f"bg-{n}.txt").write_text(f"Background {n}\n\n{text}\n", encoding="utf-8")
        engine = Engine(Settings(corpus_dir=corpus, index_dir=index))
        engine.warm_up()
        answers = {}
        for v in range(5):
            (corpus / "moving.txt").write_text(moving_story(v), encoding="utf-8")
            engine.index()
            answers[v] = engine.ask(QUESTION).answer
        rng = random.Random(1)
        started, killed_mid_write = time.perf_counter(), 0
        for kill in range(1, args.kills + 1):
            pid = os.fork()
            if pid == 0:
                try:
                    rebuild_forever(engine, corpus)
                finally:
                    os._exit(1)
            time.sleep(rng.uniform(0.02, 0.6))
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            killed_mid_write += any(p.name.startswith("tmp-") for p in (index / "versions").iterdir())
            at = check(index)
            reader = Engine(Settings(corpus_dir=corpus, index_dir=index), embedder=engine.embedder)
            assert reader.ask(QUESTION).answer == answers[at], f"kill {kill}: answer differs from version {at}"
            print(f"kill {kill}: index whole at moving story version {at}", flush=True)
        engine.index()
        leftovers = [p.name for p in (index / "versions").iterdir() if p.name.startswith("tmp-")]
        assert not leftovers, f"temporary folders left after a rebuild: {leftovers}"
        assert killed_mid_write, "no kill landed while a version was being written; the rebuilds never got there"
        check(index)
        print(
            f"\n{args.kills} kills survived ({killed_mid_write} while a new version was being written); "
            f"temporary folders cleaned; {time.perf_counter() - started:.0f} s"
        )


if __name__ == "__main__":
    main()
