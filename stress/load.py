"""32 clients ask questions for two minutes while an admin uploads 10 articles and rebuilds 5 times.

Passes when no request fails or hangs, every answer cites only passages that exist in the
index version it was answered from, and the server's memory is flat: the median RSS of the
run's last quarter within 15% of its second quarter's. Prints p95 latency and the server's
RSS at the start and the end. Then floods the bounded queue to show that an overflowing
request gets a clear "busy" error while the server stays up.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import synth  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402

from qa.index.store import IndexStore  # noqa: E402
from qa.index.version import IndexVersion  # noqa: E402
from tests.conftest import SEED_CORPUS, serve_app  # noqa: E402

PASSWORD = "stress-admin"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def passage_ids(index_dir: Path, name: str) -> set[str]:
    """Live passages of a version: its base minus hidden articles, plus its delta."""
    version = IndexVersion(index_dir / "versions" / name)
    try:
        return {p.passage_id for a in version.articles() for p in version.article_passages(a.article_id)}
    finally:
        version.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qa-load-") as folder:
        work = Path(folder)
        corpus, index = work / "corpus", work / "index"
        shutil.copytree(SEED_CORPUS, corpus)
        with serve_app(corpus, index, QA_ADMIN_PASSWORD=PASSWORD) as server:
            run(server.url, work, index, args, server.pid)


def run(url: str, work: Path, index: Path, args: argparse.Namespace, server_pid: int) -> None:
    store = IndexStore(index)
    known = {store.current_name(): passage_ids(index, store.current_name())}
    known_lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []
    answers: list[tuple[str, list[str]]] = []
    stop = threading.Event()

    def asker(n: int) -> None:
        client = Client(url, verbose=False)
        i = 0
        while not stop.is_set():
            question = synth.questions(1, n * 10_000 + i, synth.SEED_NAMES, synth.SEED_PLACES)[0]
            i += 1
            started = time.perf_counter()
            try:
                data = client.predict(question, [], api_name="/ask")
                latencies.append(time.perf_counter() - started)
                answers.append((data["index_version"], [c["passage_id"] for c in data["citations"]]))
            except Exception as exc:
                failures.append(f"{question}: {exc}")

    def snapshot() -> None:
        name = store.current_name()
        with known_lock:
            if name not in known:
                known[name] = passage_ids(index, name)

    rss = [(0.0, rss_mb(server_pid))]

    def sample() -> None:
        while not stop.wait(5):
            rss.append((time.perf_counter() - started, rss_mb(server_pid)))

    threads = [threading.Thread(target=asker, args=(n,)) for n in range(args.clients)]
    threads.append(threading.Thread(target=sample))
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    admin = Client(url, verbose=False)
    uploads = work / "uploads"
    synth.write_corpus(SEED_CORPUS, uploads, 10 * synth.PARAGRAPHS_PER_ARTICLE, seed=99, prefix="upload")
    pause = args.seconds / 16
    for n, article in enumerate(sorted(uploads.iterdir())):
        time.sleep(pause)
        admin.predict([handle_file(str(article))], PASSWORD, api_name="/add")
        snapshot()
        if n % 2 == 1:
            admin.predict(PASSWORD, api_name="/rebuild")
            snapshot()
    time.sleep(max(0.0, args.seconds - (time.perf_counter() - started)))
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    hung = sum(thread.is_alive() for thread in threads)
    second, last = quarter_median(rss, 1), quarter_median(rss, 3)
    flat = last <= second * 1.15
    stray = [(v, ids) for v, ids in answers if v not in known or not set(ids) <= known[v]]
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 20 else float("nan")
    print(
        f"{args.clients} clients, {time.perf_counter() - started:.0f} s: {len(latencies)} answers, "
        f"{len(failures)} failed, {hung} hung, {len(stray)} citing passages outside their version; "
        f"{len(known)} index versions; p95 {p95 * 1000:.0f} ms; server RSS {rss[0][1]:.0f} MB at the start, "
        f"{rss[-1][1]:.0f} MB at the end, median {second:.0f} MB in the second quarter and {last:.0f} MB in the "
        f"last ({'flat' if flat else 'growing'}; highest {max(mb for _, mb in rss):.0f} MB)"
    )
    for failure in failures[:5]:
        print("  failed:", failure)
    flood(url, server_pid)
    ok = not failures and not hung and not stray and flat
    sys.exit(0 if ok else 1)


def quarter_median(samples: list[tuple[float, float]], quarter: int) -> float:
    """Median RSS over one quarter of the run. Rebuilds raise memory for a few seconds
    before it is trimmed again, so single samples would compare a peak with a trough."""
    end = samples[-1][0]
    inside = [mb for t, mb in samples if quarter * end / 4 <= t <= (quarter + 1) * end / 4]
    return statistics.median(inside)


def flood(url: str, server_pid: int, requests: int = 300) -> None:
    """More requests at once than the queue holds: the extra ones are told the server is
    busy, and the server's memory comes back once the queued ones are answered."""
    before = rss_mb(server_pid)
    client = Client(url, verbose=False)
    fn_index = client._infer_fn_index("/ask", None)

    def join(n: int) -> tuple[int, str]:
        body = {"data": [f"Flood question {n} about Kirby?", []], "fn_index": fn_index, "session_hash": f"flood{n}"}
        request = urllib.request.Request(
            url + "gradio_api/queue/join", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, ""
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")[:120]

    with concurrent.futures.ThreadPoolExecutor(max_workers=100) as pool:
        replies = list(pool.map(join, range(requests)))
    codes = collections.Counter(code for code, _ in replies)
    messages = {message for _, message in replies if message}
    samples: list[float] = []
    drained = threading.Event()

    def sample() -> None:
        while not drained.wait(0.5):
            samples.append(rss_mb(server_pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    reply = Client(url, verbose=False).predict("Which aircraft carried out the strikes?", [], api_name="/ask")
    waited = time.perf_counter() - started
    drained.set()
    sampler.join()
    time.sleep(5)
    after = rss_mb(server_pid)
    print(f"flood of {requests} joins at once: status codes {dict(codes)}, refusals say {sorted(messages)}")
    print(
        f"a question asked right after the flood was answered in {waited:.1f} s "
        f"({len(reply['citations'])} citations); server RSS {before:.0f} MB before the flood, highest "
        f"{max(samples, default=after):.0f} MB while the queue drained, {after:.0f} MB once it had"
    )


if __name__ == "__main__":
    main()
