"""Hostile files dropped straight into the corpus folder, then `qa index` as a user runs it.

The folder gets one ordinary article and, beside it: a 200 MB `.txt`, two 1 MB lines with
no break (one with full stops, one without), 100,000 nested `<div>`s, an entity-expanding
("billion laughs") HTML file, gzip renamed `.html`, a FIFO named `pipe.txt`, a link loop,
a link to a file outside the folder and a name that is not UTF-8. `qa index` runs in a
child process over that folder and, as the baseline in the same run, over the ordinary
article alone; for each the script reports wall time and the child's peak RSS (from
wait4), checks that every hostile file is indexed or skipped with its name and a reason,
that the ordinary article answers, and that no file in the folder changed.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

QA = str(Path(sys.executable).parent / "qa")
OFFLINE = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
ARTICLE = (
    "Harbour bridge\n\nA storm destroyed the old harbour bridge in Marlow on Tuesday night, "
    "the council said.\n\nEngineers said the bridge from 1902 could not be saved.\n"
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]><html><body><p>&lol9;</p></body></html>"
)


@dataclass
class Run:
    seconds: float
    peak_mb: float
    output: str


def qa_index(corpus: Path, index: Path) -> Run:
    """`qa index` in a child process: its wall time, peak RSS and what it printed."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [QA, "index", "--corpus", str(corpus), "--index", str(index)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=OFFLINE,
    )
    assert child.stdout is not None
    output = child.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"qa index failed:\n{output}")
    return Run(seconds, usage.ru_maxrss / 1024, output)


def hostile_folder(corpus: Path, outside: Path) -> dict[str, str]:
    """Write the files; return each hostile name with a phrase its line must hold."""
    (corpus / "article.txt").write_text(ARTICLE)
    with (corpus / "huge.txt").open("wb") as handle:
        line = b"The council met again and talked about the bridge for a long time. " * 100 + b"\n"
        for _ in range(200 * 2**20 // len(line)):
            handle.write(line)
    (corpus / "one-line.txt").write_text("The council met and talked about the ferry service. " * 20_000)
    (corpus / "no-stops.txt").write_text("the council met and talked about the ferry service " * 20_000)
    (corpus / "nested.html").write_text("<html><body>" + "<div>" * 100_000 + "deep" + "</div>" * 100_000)
    (corpus / "laughs.html").write_text(LAUGHS)
    (corpus / "packed.html").write_bytes(gzip.compress(b"<html><body><p>" + b"packed words " * 10_000 + b"</p>"))
    os.mkfifo(corpus / "pipe.txt")
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    (outside / "secret.txt").write_text("A secret outside the corpus folder.\n")
    (corpus / "outside.txt").symlink_to(outside / "secret.txt")
    (corpus / os.fsdecode(b"caf\xe9.txt")).write_text(ARTICLE)
    return {
        "huge.txt": "limit",
        "one-line.txt": "",
        "no-stops.txt": "",
        "nested.html": "no main text",
        "laughs.html": "no main text",
        "packed.html": "binary",
        "pipe.txt": "not a regular file",
        "loop.txt": "symbolic links",
        "outside.txt": "outside the corpus folder",
        "caf\\xe9.txt": "not valid UTF-8",
    }


def snapshot(folder: Path) -> dict[str, str]:
    """SHA-256 of each regular file (links and the FIFO by what they are)."""
    found = {}
    for path in sorted(folder.iterdir()):
        name = os.fsencode(path.name).hex()
        if path.is_symlink():
            found[name] = f"link to {os.readlink(path)}"
        elif path.is_fifo():
            found[name] = "fifo"
        else:
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        alone, corpus, outside = work / "alone", work / "corpus", work / "outside"
        for folder in (alone, corpus, outside):
            folder.mkdir()
        (alone / "article.txt").write_text(ARTICLE)
        expected = hostile_folder(corpus, outside)
        before = snapshot(corpus)
        baseline = qa_index(alone, work / "index-alone")
        hostile = qa_index(corpus, work / "index")
        problems = []
        for name, phrase in expected.items():
            lines = [line.strip() for line in hostile.output.splitlines()]
            indexed = f"added: {name.rsplit('.', 1)[0]}" in lines
            skipped = any(line.startswith(f"skipped {name}: ") and phrase in line for line in lines)
            if not (indexed or skipped):
                problems.append(f"{name}: neither indexed nor skipped with a reason")
        changed = snapshot(corpus) != before
        if changed:
            problems.append("a file in the corpus folder changed")
        question = "When was the harbour bridge destroyed?"
        answer = subprocess.run(
            [QA, "ask", "--corpus", str(corpus), "--index", str(work / "index"), question],
            capture_output=True,
            text=True,
            env=OFFLINE,
        ).stdout
        if "Tuesday" not in answer:
            problems.append(f"the ordinary article did not answer: {answer[:300]}")
        print(hostile.output)
        print(f"hostile folder: {hostile.seconds:.1f} s, peak RSS {hostile.peak_mb:.0f} MB")
        print(f"article alone:  {baseline.seconds:.1f} s, peak RSS {baseline.peak_mb:.0f} MB")
        print(
            f"ratio: time {hostile.seconds / baseline.seconds:.2f}, peak RSS {hostile.peak_mb / baseline.peak_mb:.2f}; "
            f"{len(expected)} hostile files, {len(problems)} problems; files changed in the corpus: "
            f"{'some' if changed else 0}"
        )
        for problem in problems:
            print("PROBLEM:", problem)
        if problems:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
