"""How close corpus-qa runs to the floor: the bare model and bare FAISS doing the same work,
measured in the same run, so the ratios hold on a shared, noisy machine.

Run with `make bench`. Each figure is a ratio per repetition (5 after a warm-up); the table
gives the median and the spread (min–max). Scale figures (100k passages) embed with a
cheap stand-in model, a static token embedding built offline from the real model's
tokenizer, because the real model would need about 8 minutes for 100k passages here;
the table marks them. Query, build, cold-start and served figures use the real model.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synth  # noqa: E402

from qa.engine import Engine  # noqa: E402
from qa.settings import DEFAULT_MODEL, Settings, force_offline  # noqa: E402
from qa.vectors import bundled_model_path  # noqa: E402

PEAK_RSS_KB = "[int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')][0]"
"""Peak resident memory of this process. Not ru_maxrss: Linux carries the parent's peak
into a forked child across exec, so every probe would report the benchmark's own."""
REPS = 5
QUESTIONS_PER_REP = 20
SEED_CORPUS = ROOT / "corpus"


@dataclass
class Figure:
    name: str
    ratios: list[float]
    target: str
    passes: bool
    model: str
    detail: str

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)


def figure(
    name: str, ratios: Sequence[float], target: str, ok: Callable[[float], bool], model: str, detail: str
) -> Figure:
    ratios = [round(r, 3) for r in ratios]
    return Figure(name, ratios, target, ok(statistics.median(ratios)), model, detail)


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def standin_model(folder: Path) -> str:
    """A static-embedding model with the real tokenizer and random weights, built offline."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import StaticEmbedding
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(bundled_model_path() / "tokenizer.json"))
    weights = np.random.default_rng(0).normal(size=(tokenizer.get_vocab_size(), 384)).astype(np.float32)
    SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_weights=weights)], device="cpu").save(str(folder))
    return str(folder)


def engine_for(corpus: Path, index: Path, model: str, backend: str = "torch") -> Engine:
    engine = Engine(Settings(corpus_dir=corpus, index_dir=index, model=model, backend=backend))
    engine.warm_up()
    return engine


@dataclass
class QueryTimes:
    """Per repetition, in seconds: our p50, the floor's p50, and the encode part of the floor."""

    ours: list[float]
    floor: list[float]
    encode: list[float]


def query_figures(
    engine: Engine, label: str, model: str, vocabulary: tuple[list[str], list[str]]
) -> tuple[list[Figure], QueryTimes]:
    """Warm `ask` latency against encoding the question and one FAISS search, interleaved."""
    import faiss
    from sentence_transformers import SentenceTransformer

    bare = SentenceTransformer(str(bundled_model_path()) if model == DEFAULT_MODEL else model, device="cpu")
    version = engine.version()
    index = faiss.read_index(str(version.folder / "vectors.faiss"))
    if version.manifest.nprobe:
        faiss.extract_index_ivf(index).nprobe = version.manifest.nprobe
    p50, p95, extra = [], [], []
    times = QueryTimes([], [], [])
    for rep in range(REPS + 1):
        ours, floor, encode = [], [], []
        for question in synth.questions(QUESTIONS_PER_REP, rep * QUESTIONS_PER_REP, *vocabulary):
            started = time.perf_counter()
            vector = bare.encode([question], normalize_embeddings=True, convert_to_numpy=True)
            encoded = time.perf_counter()
            index.search(vector.astype(np.float32), 8)
            floor.append(time.perf_counter() - started)
            encode.append(encoded - started)
            started = time.perf_counter()
            engine.ask(question)
            ours.append(time.perf_counter() - started)
        if rep == 0:
            continue
        p50.append(percentile(ours, 50) / percentile(floor, 50))
        p95.append(percentile(ours, 95) / percentile(floor, 95))
        extra.append((percentile(ours, 50) - percentile(floor, 50)) / percentile(encode, 50))
        times.ours.append(percentile(ours, 50))
        times.floor.append(percentile(floor, 50))
        times.encode.append(percentile(encode, 50))
    size = f"{version.passage_count:,} passages, {version.manifest.faiss_index}"
    overhead = statistics.median(o - f for o, f in zip(times.ours, times.floor, strict=True)) * 1000
    detail = f"{size}; our overhead {overhead:.1f} ms"
    return [
        figure(f"query p50 / floor ({label})", p50, "≤ 1.5", lambda r: r <= 1.5, model, detail),
        figure(f"query p95 / floor ({label})", p95, "report", lambda r: True, model, detail),
        figure(f"BM25+fusion+answer / encode ({label})", extra, "< 0.5", lambda r: r < 0.5, model, detail),
    ], times


def answer_model_figures(engine: Engine, vocabulary: tuple[list[str], list[str]]) -> list[Figure]:
    """The learned answer model's share of a question (features, sentence, answerability
    and span scorers: qa.answer.draft) against encoding the question, and the whole `ask`."""
    from qa.answer import draft
    from qa.engine import DEFAULT_PASSAGES, PER_RANKER
    from qa.retrieval import hybrid_search

    version = engine.version()
    ratios, totals, drafts, encodes = [], [], [], []
    for rep in range(REPS + 1):
        model, encode, whole = [], [], []
        for question in synth.questions(QUESTIONS_PER_REP, 7000 + rep * QUESTIONS_PER_REP, *vocabulary):
            started = time.perf_counter()
            vector = engine.embedder.embed([question])[0]
            encode.append(time.perf_counter() - started)
            results = hybrid_search(version, question, vector, DEFAULT_PASSAGES, per_ranker=PER_RANKER)
            started = time.perf_counter()
            draft(version, engine.answer_model, question, vector, results)
            model.append(time.perf_counter() - started)
            started = time.perf_counter()
            engine.ask(question)
            whole.append(time.perf_counter() - started)
        if rep:
            ratios.append(percentile(model, 50) / percentile(encode, 50))
            totals.append(percentile(whole, 50) * 1000)
            drafts.append(percentile(model, 50) * 1000)
            encodes.append(percentile(encode, 50) * 1000)
    detail = f"answer model {statistics.median(drafts):.1f} ms, question encode {statistics.median(encodes):.1f} ms"
    return [
        figure("answer model / question encode (seed)", ratios, "report", lambda r: True, DEFAULT_MODEL, detail),
        figure("ask p50 in ms (seed, warm)", totals, "< 100", lambda r: r < 100, DEFAULT_MODEL, "milliseconds"),
    ]


def projected_figures(large: QueryTimes, seed: QueryTimes, label: str) -> list[Figure]:
    """The large-corpus query figures with MiniLM's encode time (from the seed run) in place
    of the stand-in's: our overhead and FAISS's search do not depend on the model."""
    encode = statistics.median(seed.encode)
    ratios, extra = [], []
    for ours, floor, standin in zip(large.ours, large.floor, large.encode, strict=True):
        search = floor - standin
        ratios.append((encode + search + ours - floor) / (encode + search))
        extra.append((ours - floor) / encode)
    detail = f"derived: MiniLM encode {encode * 1000:.1f} ms from the seed run"
    return [
        figure(
            f"query p50 / floor ({label}, MiniLM encode)", ratios, "≤ 1.5", lambda r: r <= 1.5, DEFAULT_MODEL, detail
        ),
        figure(
            f"BM25+fusion+answer / encode ({label}, MiniLM)", extra, "< 0.5", lambda r: r < 0.5, DEFAULT_MODEL, detail
        ),
    ]


def build_figures(work: Path, model: str) -> list[Figure]:
    """Passages per second of a full rebuild against bare encode of the same passages, and
    of a full rebuild with the int8 backend against one with torch."""
    from sentence_transformers import SentenceTransformer

    corpus = work / "build-corpus"
    synth.write_corpus(SEED_CORPUS, corpus, 400, seed=7, prefix="build")
    engine = engine_for(corpus, work / "build-index", model)
    engine.index()
    quantized = engine_for(corpus, work / "build-index-int8", model, "onnx-int8")
    quantized.index()
    texts = [p.text for a in engine.articles() for p in engine.version().article_passages(a.article_id)]
    bare = SentenceTransformer(str(bundled_model_path()), device="cpu")
    ratios, speedups = [], []
    for rep in range(REPS + 1):
        report = engine.index(full=True)
        ours = report.passages / report.seconds
        started = time.perf_counter()
        bare.encode(texts, batch_size=engine.settings.batch_size, normalize_embeddings=True)
        floor = len(texts) / (time.perf_counter() - started)
        int8 = quantized.index(full=True)
        if rep:
            ratios.append(ours / floor)
            speedups.append(int8.passages / int8.seconds / ours)
    detail = f"{len(texts)} passages; the build embeds their {report.sentences} sentences, the floor the passages"
    return [
        figure("full build passages/s / bare encode", ratios, "≥ 0.9", lambda r: r >= 0.9, model, detail),
        figure("onnx-int8 full build / torch full build", speedups, "report", lambda r: True, model, detail),
    ]


ADDS_PER_REP = 3
"""Single-article adds per repetition and size; a repetition's figure takes their median."""


@dataclass
class ScaleIndex:
    engine: Engine
    corpus: Path
    detail: str
    named: list[float] = field(default_factory=list)
    """Seconds, every add in order, to index one new file by name: the app's upload, `qa index FILE`."""
    synced: list[float] = field(default_factory=list)
    """Seconds for a folder sync that finds one new file: `qa index`, which looks at every file."""

    def add(self, prefix: str, seed: int) -> None:
        """Add one article by name, then another by a folder sync."""
        path = new_article(self.corpus, f"n{prefix}", seed)
        started = time.perf_counter()
        self.engine.update([path])
        self.named.append(time.perf_counter() - started)
        new_article(self.corpus, f"s{prefix}", seed + 1)
        started = time.perf_counter()
        self.engine.index()
        self.synced.append(time.perf_counter() - started)


def scale_index(work: Path, model: str, passages: int) -> ScaleIndex:
    corpus, index = work / f"corpus-{passages}", work / f"index-{passages}"
    synth.write_corpus(SEED_CORPUS, corpus, passages, seed=passages)
    started = time.perf_counter()
    engine = engine_for(corpus, index, model)
    built = time.perf_counter() - started
    files = sum(1 for _ in corpus.rglob("*.txt"))
    detail = f"{engine.version().passage_count:,} passages in {files:,} files, first build {built:.0f} s"
    return ScaleIndex(engine, corpus, detail)


def new_article(corpus: Path, prefix: str, seed: int) -> Path:
    synth.write_corpus(SEED_CORPUS, corpus / "new", synth.PARAGRAPHS_PER_ARTICLE, seed=seed, prefix=prefix)
    return corpus / "new" / f"{prefix}-000000.txt"


def add_figures(work: Path, model: str, scale: int) -> list[Figure]:
    """Adding by name must not grow with the corpus; a folder sync is reported beside it.

    Both indexes are built first and then added to in turn (which goes first alternates),
    so the two sizes are timed under the same load on a shared machine, as every floor is."""
    small, large = scale_index(work, model, scale // 10), scale_index(work, model, scale)
    named, synced, beyond = [], [], []
    last = slice(-ADDS_PER_REP, None)
    for rep in range(REPS + 1):
        for i in range(ADDS_PER_REP):
            for target in (small, large) if i % 2 == 0 else (large, small):
                target.add(f"{rep}-{i}", 10_000 + 10 * rep + 2 * i)
        if rep:
            named.append(statistics.median(large.named[last]) / statistics.median(small.named[last]))
            synced.append(statistics.median(large.synced[last]) / statistics.median(small.synced[last]))
            beyond.append(statistics.median(large.named[last]))
    article = next((large.corpus / "new").iterdir()).read_text().split("\n\n")
    started = time.perf_counter()
    large.engine.embedder.embed(article)
    embed = time.perf_counter() - started
    sizes = f"at {scale:,} / at {scale // 10:,}"
    return [
        figure(
            f"add one article {sizes}",
            named,
            "≤ 1.2",
            lambda r: r <= 1.2,
            model,
            f"`qa index FILE`, app upload: {_seconds(large.named, small.named)}; {large.detail}",
        ),
        figure(
            f"add one article at {scale:,}, seconds minus embedding",
            [t - embed for t in beyond],
            "< 2 s",
            lambda r: r < 2,
            model,
            "absolute seconds, not a ratio",
        ),
        figure(
            f"folder sync finding one new article {sizes}",
            synced,
            "report",
            lambda r: True,
            model,
            f"`qa index`, which looks at every file: {_seconds(large.synced, small.synced)}",
        ),
    ]


def _seconds(large: list[float], small: list[float]) -> str:
    """Median seconds after the warm-up repetition."""
    warm = slice(ADDS_PER_REP, None)
    return f"{statistics.median(large[warm]):.2f} s vs {statistics.median(small[warm]):.2f} s"


def run(command: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return time.perf_counter() - started, result.stdout


def cold_start_figure(corpus: Path, index: Path) -> Figure:
    """A new process answering one question, against one importing the library and loading the model."""
    ours_cmd = [sys.executable, "-m", "qa", "ask", "Which aircraft carried out the strikes?"]
    ours_cmd += ["--corpus", str(corpus), "--index", str(index)]
    floor_cmd = [
        sys.executable,
        "-c",
        "from qa.vectors import bundled_model_path\n"
        "from sentence_transformers import SentenceTransformer\n"
        "SentenceTransformer(str(bundled_model_path()), device='cpu').encode(['x'])",
    ]
    ratios = []
    for rep in range(REPS + 1):
        ours, _ = run(ours_cmd)
        floor, _ = run(floor_cmd)
        if rep:
            ratios.append(ours / floor)
    return figure("cold start / import+load model", ratios, "≤ 1.3", lambda r: r <= 1.3, DEFAULT_MODEL, "")


def memory_figure(corpus: Path, index: Path, model: str) -> Figure:
    """Peak RSS serving the 100k index, against a process holding only the model and the raw vectors."""
    ours = (
        "import sys\nsys.path.insert(0, 'benchmarks')\nimport synth\n"
        "from qa.engine import Engine\nfrom qa.settings import Settings\nfrom pathlib import Path\n"
        f"e = Engine(Settings(corpus_dir=Path({str(corpus)!r}), index_dir=Path({str(index)!r}), model={model!r}))\n"
        "e.warm_up()\n[e.ask(q) for q in synth.questions(20)]\n"
        f"print({PEAK_RSS_KB})"
    )
    version = engine_for(corpus, index, model).version()
    floor = (
        "import faiss, numpy as np\nfrom sentence_transformers import SentenceTransformer\n"
        f"m = SentenceTransformer({model!r}, device='cpu'); m.encode(['x'])\n"
        f"v = faiss.read_index({str(version.folder / 'vectors.faiss')!r})\n"
        f"s = np.load({str(version.folder / 'sentences.npy')!r})\n"
        f"print({PEAK_RSS_KB})"
    )
    ratios = []
    for rep in range(REPS + 1):
        ours_kb = int(run([sys.executable, "-c", ours])[1].split()[-1])
        floor_kb = int(run([sys.executable, "-c", floor])[1].split()[-1])
        if rep:
            ratios.append(ours_kb / floor_kb)
    detail = f"ours {ours_kb / 1024:.0f} MB, floor {floor_kb / 1024:.0f} MB"
    return figure("peak RSS / model+vectors (100k)", ratios, "≤ 1.5", lambda r: r <= 1.5, model, detail)


def served_figure(engine: Engine, work: Path) -> Figure:
    """Questions per second through gradio_client, 8 clients at once, against in-process.

    The clients run with `ssl_verify=False`: the app is plain http on loopback, so nothing
    is verified either way, but gradio_client otherwise builds a fresh TLS context (parsing
    the whole CA bundle) for every request. That took about 80 ms of CPU per question on
    this 2-core machine, more than answering it, and capped even an app that returns at
    once near 18 questions per second."""
    from gradio_client import Client

    sys.path.insert(0, str(ROOT / "tests"))
    from tests.conftest import serve_app

    index = work / "served-index"
    shutil.copytree(engine.settings.index_dir, index, ignore=shutil.ignore_patterns(".lock"))
    ratios, errors, p95s = [], 0, []
    with serve_app(engine.settings.corpus_dir, index) as server:
        clients = [Client(server.url, verbose=False, ssl_verify=False) for _ in range(8)]
        for rep in range(REPS + 1):
            questions = synth.questions(80, 120 + rep * 80, synth.SEED_NAMES, synth.SEED_PLACES)
            latencies: list[float] = []
            failures: list[BaseException] = []

            def worker(client: Client, mine: list[str], latencies: list[float], failures: list[BaseException]) -> None:
                for question in mine:
                    started = time.perf_counter()
                    try:
                        client.predict(question, [], api_name="/ask")
                        latencies.append(time.perf_counter() - started)
                    except Exception as exc:
                        failures.append(exc)

            threads = [
                threading.Thread(target=worker, args=(c, questions[i::8], latencies, failures))
                for i, c in enumerate(clients)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            served = len(latencies) / (time.perf_counter() - started)
            inprocess_questions = synth.questions(80, 600 + rep * 80, synth.SEED_NAMES, synth.SEED_PLACES)
            started = time.perf_counter()
            for question in inprocess_questions:
                engine.ask(question)
            inprocess = len(inprocess_questions) / (time.perf_counter() - started)
            if rep:
                ratios.append(served / inprocess)
                errors += len(failures)
                p95s.append(percentile(latencies, 95))
    detail = f"8 clients × 10 questions per rep, {errors} errors, p95 {statistics.median(p95s) * 1000:.0f} ms"
    return figure(
        "served q/s / in-process q/s",
        ratios,
        "≥ 0.6, no errors",
        lambda r: r >= 0.6 and not errors,
        DEFAULT_MODEL,
        detail,
    )


def table(figures: Sequence[Figure]) -> str:
    rows = [
        "| figure | median | spread | target | met | model | detail |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in figures:
        model = "stand-in" if f.model != DEFAULT_MODEL else "MiniLM"
        spread = f"{min(f.ratios):.2f}–{max(f.ratios):.2f}"
        met = "yes" if f.passes else "**no**"
        rows.append(f"| {f.name} | {f.median:.2f} | {spread} | {f.target} | {met} | {model} | {f.detail} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument("--scale", type=int, default=100_000, help="passages of the large synthetic corpus")
    args = parser.parse_args()
    force_offline()
    started = time.perf_counter()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as folder:
        work = Path(folder)
        shutil.copytree(SEED_CORPUS, work / "seed")
        seed = engine_for(work / "seed", work / "seed-index", DEFAULT_MODEL)
        seed_figures, seed_times = query_figures(seed, "seed", DEFAULT_MODEL, (synth.SEED_NAMES, synth.SEED_PLACES))
        figures += seed_figures
        figures += answer_model_figures(seed, (synth.SEED_NAMES, synth.SEED_PLACES))
        figures += build_figures(work, DEFAULT_MODEL)
        figures.append(cold_start_figure(work / "seed", work / "seed-index"))
        figures.append(served_figure(seed, work))
        standin = standin_model(work / "standin")
        figures += add_figures(work, standin, args.scale)
        large_engine = engine_for(work / f"corpus-{args.scale}", work / f"index-{args.scale}", standin)
        label = f"{args.scale:,} passages"
        large_figures, large_times = query_figures(large_engine, label, standin, (synth.NAMES, synth.PLACES))
        figures += large_figures + projected_figures(large_times, seed_times, label)
        figures.append(memory_figure(work / f"corpus-{args.scale}", work / f"index-{args.scale}", standin))
    machine = f"{platform.machine()}, {platform.processor() or 'cpu'}, {platform.python_version()}"
    result = {"machine": machine, "seconds": round(time.perf_counter() - started), "figures": []}
    result["figures"] = [{**asdict(f), "median": f.median} for f in figures]
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(table(figures))
    print(f"\n{machine}; {result['seconds']} s; written to {args.out}")


if __name__ == "__main__":
    main()
