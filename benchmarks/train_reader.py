"""Train the answer model (qa/models/) on QED's Natural Questions training shards.

    python benchmarks/train_reader.py [--data ~/.cache/corpus-qa/qed]

Data: eval/qed.py says where the shards come from (CC BY-SA 3.0), fetched by hand and
cached outside the repository. Shards 00-04 train, minus every Wikipedia title that shard
05 (the held-out evaluation set) also has. Within them, a seeded 15% of questions is held
out to choose the abstention threshold and to report the figures printed at the end; it
is not fitted on.

Each question is paired with its own paragraph, the most similar other paragraph (a hard
negative, as retrieval returns) and a random one. The sentence model learns which sentence
states the answer; the answerability model learns whether the candidates hold an answer at
all, from the same question with its own paragraph left out and from it swapped so that
its own paragraph no longer answers it (SQuAD 2.0's kind); the span model learns which
candidate span is the answer inside an answering sentence. Runs on two CPU cores in a few
minutes; sentence vectors are cached beside the data.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "eval")]

import qed  # noqa: E402

from qa.features import (  # noqa: E402
    ANSWERABLE_FEATURES,
    SENTENCE_FEATURES,
    SentenceInput,
    answerable_features,
    sentence_features,
)
from qa.index.keywords import KeywordIndex  # noqa: E402
from qa.scorer import MANIFEST_FILE, MODEL_DIR, WEIGHTS_FILE, AnswerModel, fit_logistic, fit_ranker, sha256  # noqa: E402
from qa.sentences import split_sentences  # noqa: E402
from qa.spans import SPAN_FEATURES, asks_for_span, candidate_spans, normalize_answer, span_features  # noqa: E402
from qa.vectors import Embedder  # noqa: E402

SCRIPT_VERSION = 4
HOLD_OUT = 0.15
MAX_FALSE_ABSTENTION = 0.10
"""The threshold should leave at most this share of answerable questions unanswered."""
SPAN_MATCH_F1 = 0.6
"""A candidate span this close (token F1) to the gold answer counts as the answer."""
NEGATIVES = 4
"""Other paragraphs beside a question's own: the most similar ones but one, and a random
one, as a search over a corpus on one story returns several near misses."""


@dataclass
class Paragraph:
    text: str
    sentences: list[str]
    vectors: np.ndarray
    answer_sentences: set[int]


def token_f1(first: str, second: str) -> float:
    a, b = normalize_answer(first).split(), normalize_answer(second).split()
    common = sum(min(a.count(w), b.count(w)) for w in set(a))
    if not common:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 2 * precision * recall / (precision + recall)


def paragraphs_of(examples: list[qed.Example], embedder: Embedder, cache: Path) -> dict[str, Paragraph]:
    texts = sorted({e.paragraph for e in examples})
    split = {t: split_sentences(t) for t in texts}
    sentences = sorted({s.text for t in texts for s in split[t]})
    vectors = dict(zip(sentences, cached_embed(embedder, sentences, cache), strict=True))
    return {
        t: Paragraph(t, [s.text for s in split[t]], np.array([vectors[s.text] for s in split[t]]), set()) for t in texts
    }


def cached_embed(embedder: Embedder, texts: list[str], cache: Path) -> np.ndarray:
    key = hashlib.sha256(("\n".join(texts) + embedder.model_name).encode()).hexdigest()[:16]
    path = cache / f"vectors-{key}.npy"
    if path.is_file():
        return np.load(path)
    with tqdm(total=len(texts), desc=f"embedding {len(texts)} texts", unit="text") as bar:
        vectors = embedder.embed(texts, progress=lambda done, total: bar.update(done - bar.n))
    np.save(path, vectors)
    return vectors


def answer_rows(example: qed.Example) -> set[int]:
    starts = [s.start for s in split_sentences(example.paragraph)] + [len(example.paragraph)]
    return {i for i in range(len(starts) - 1) for s, e in example.answers if s < starts[i + 1] and e > starts[i]}


def candidates_for(question_vector: np.ndarray, paragraphs: list[Paragraph]) -> list[SentenceInput]:
    return [
        SentenceInput(text, float(vector @ question_vector), n)
        for n, p in enumerate(paragraphs)
        for text, vector in zip(p.sentences, p.vectors, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the answer model on QED (Natural Questions) shards.")
    parser.add_argument("--data", type=Path, default=qed.DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    args = parser.parse_args()
    shards = [name for name in qed.SHARDS if name != qed.HELD_OUT_SHARD]
    held_out_titles = {e.title for e in qed.load(args.data, [qed.HELD_OUT_SHARD])}
    examples = [e for e in qed.load(args.data, shards) if e.title not in held_out_titles]
    rng = random.Random(qed.SEED)
    rng.shuffle(examples)
    embedder = Embedder()
    paragraphs = paragraphs_of(examples, embedder, args.data)
    vocabulary = KeywordIndex.build(list(paragraphs))
    texts = list(paragraphs)
    means = np.array([paragraphs[t].vectors.mean(axis=0) for t in texts])
    questions = cached_embed(embedder, [e.question for e in examples], args.data)
    swapper = random.Random(qed.SEED + 1)
    donors = [e.question for e in examples]
    swaps = [qed.swap_question(e.question, e.paragraph, donors, vocabulary, swapper) for e in examples]
    swapped = cached_embed(embedder, [q for q in swaps if q], args.data)
    swap_vectors = iter(swapped)
    swap_vector = [next(swap_vectors) if q else None for q in swaps]
    cut = int(len(examples) * HOLD_OUT)
    print(f"{len(examples)} questions over {len(texts)} paragraphs; {cut} held out")

    def negatives(
        i: int, e: qed.Example, count: int, vector: np.ndarray | None = None, pick: random.Random = rng
    ) -> list[Paragraph]:
        answers = [normalize_answer(a) for a in e.answer_texts]

        def other(text: str) -> bool:
            return text != e.paragraph and not any(a and a in normalize_answer(text) for a in answers)

        near = means @ (questions[i] if vector is None else vector)
        hard = [texts[j] for j in np.argsort(-near)[:50] if other(texts[j])]
        random_pick = pick.choice(texts)
        while not other(random_pick) or random_pick in hard[: count - 1]:
            random_pick = pick.choice(texts)
        return [paragraphs[t] for t in [*hard[: count - 1], random_pick]]

    sentence_rows, sentence_labels, sets = [], [], []
    for i, e in enumerate(examples):
        own = paragraphs[e.paragraph]
        with_own = [own, *negatives(i, e, NEGATIVES)]
        rng.shuffle(with_own)
        without = negatives(i, e, NEGATIVES + 1)
        rows_with_answer, own_at = answer_rows(e), with_own.index(own)
        labels = [
            n == own_at and k in rows_with_answer for n, p in enumerate(with_own) for k in range(len(p.sentences))
        ]
        tries = [(e.question, questions[i], with_own, True), (e.question, questions[i], without, False)]
        if swaps[i]:
            found = [own, *negatives(i, e, NEGATIVES, swap_vector[i], swapper)]
            swapper.shuffle(found)
            tries.append((swaps[i], swap_vector[i], found, False))
        for question, vector, paragraph_set, answerable in tries:
            candidates = candidates_for(vector, paragraph_set)
            rows = sentence_features(question, candidates, vocabulary)
            sets.append((i, question, candidates, rows, answerable, labels if answerable else None))
            if answerable and i >= cut:
                sentence_rows.append(rows)
                sentence_labels.append(np.array(labels, dtype=float))
    sentence = fit_ranker(SENTENCE_FEATURES, sentence_rows, sentence_labels)

    answerable_rows, answerable_labels, held = [], [], []
    for i, question, candidates, rows, answerable, labels in sets:
        p = sentence.probability(rows)
        x = answerable_features(question, candidates, rows, p, vocabulary)
        if i >= cut:
            answerable_rows.append(x)
            answerable_labels.append(float(answerable))
        else:
            held.append((question != examples[i].question, candidates, p, x, answerable, labels))
    answerable = fit_logistic(ANSWERABLE_FEATURES, np.array(answerable_rows), np.array(answerable_labels))

    span_rows, span_labels, span_held = [], [], []
    for i, e in enumerate(examples):
        if not asks_for_span(e.question):
            continue
        own = paragraphs[e.paragraph]
        for k in sorted(answer_rows(e)):
            spans = candidate_spans(own.sentences[k])
            if not spans:
                continue
            rows = span_features(e.question, own.sentences[k], spans, vocabulary)
            labels = [max(token_f1(s.text, a) for a in e.answer_texts) >= SPAN_MATCH_F1 for s in spans]
            if i >= cut:
                span_rows.append(rows)
                span_labels.append(np.array(labels, dtype=float))
            else:
                span_held.append((rows, labels))
    span = fit_ranker(SPAN_FEATURES, span_rows, span_labels)

    def scores(wanted: bool, swap: bool | None = None) -> np.ndarray:
        return np.array(
            [answerable.probability(x[None])[0] for s, _, _, x, ok, _ in held if ok == wanted and swap in (None, s)]
        )

    threshold = choose_threshold(scores(True), scores(False))
    model = AnswerModel(sentence, answerable, threshold, span)
    report = held_out_report(held, span_held, model, scores(True), scores(False, False), scores(False, True))
    write(model, args, shards, len(examples) - cut, report)


def choose_threshold(positive: np.ndarray, negative: np.ndarray) -> float:
    """The threshold with the best TPR − FPR (Youden's J) among those that leave at most
    MAX_FALSE_ABSTENTION of answerable questions unanswered, less two standard errors of
    that share as measured on this many held-out questions (binomial), so that on other
    data the rate stays under the bound rather than at it."""
    bound = MAX_FALSE_ABSTENTION * (1 - MAX_FALSE_ABSTENTION)
    limit = MAX_FALSE_ABSTENTION - 2 * math.sqrt(bound / len(positive))
    best, chosen = -1.0, 0.0
    for t in np.unique(np.concatenate([positive, negative])):
        answered = (positive >= t).mean()
        if 1 - answered > limit:
            continue
        j = answered - (negative >= t).mean()
        if j > best:
            best, chosen = j, float(t)
    return round(chosen, 4)


def held_out_report(held, span_held, model: AnswerModel, positive, negative, swapped) -> dict[str, float]:
    top, cosine_top = [], []
    for _, candidates, p, _, ok, labels in held:
        if ok and any(labels):
            top.append(labels[int(np.argmax(p))])
            cosine_top.append(labels[int(np.argmax([c.cosine for c in candidates]))])
    exact = [labels[int(np.argmax(model.span.probability(rows)))] for rows, labels in span_held]
    report = {
        "questions": len(top),
        "sentence_top1": round(float(np.mean(top)), 4),
        "cosine_top1_baseline": round(float(np.mean(cosine_top)), 4),
        "abstention": round(float((negative < model.threshold).mean()), 4),
        "abstention_swapped": round(float((swapped < model.threshold).mean()), 4),
        "false_abstention": round(float((positive < model.threshold).mean()), 4),
        "span_top1_given_sentence": round(float(np.mean(exact)), 4),
    }
    for key, value in report.items():
        print(f"  held out {key}: {value}")
    return report


def write(model: AnswerModel, args: argparse.Namespace, shards: list[str], trained_on: int, report: dict) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    weights = args.out / WEIGHTS_FILE
    weights.write_text(model.to_json(), encoding="utf-8")
    manifest = {
        "weights": WEIGHTS_FILE,
        "sha256": sha256(weights),
        "script": "benchmarks/train_reader.py",
        "script_version": SCRIPT_VERSION,
        "seed": qed.SEED,
        "data": {
            "name": "QED (Natural Questions train subset), Lamm et al. 2020",
            "license": "CC BY-SA 3.0",
            "source": "github.com/google-research-datasets/QED at 71e19e085640a2032c803a839d716f0a1b526bff",
            "shards": {name: qed.SHARDS[name] for name in shards},
            "questions_trained_on": trained_on,
        },
        "encoder": "all-MiniLM-L6-v2",
        "held_out": report,
    }
    (args.out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {weights} ({weights.stat().st_size} bytes) and its manifest")


if __name__ == "__main__":
    main()
