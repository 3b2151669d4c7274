"""QED (Lamm et al. 2020, "QED: A Framework and Dataset for Explanations in Question
Answering"): Natural Questions train questions with the Wikipedia paragraph that answers
them, the answer span and the paragraph's sentence starts. CC BY-SA 3.0, like the
Wikipedia text it holds.

The six training shards come from the google-research-datasets/QED repository on GitHub at
commit 71e19e085640a2032c803a839d716f0a1b526bff (nq-train-0N-qed.jsonlines; the later
single-file release is the same data). Nothing here downloads them: put them in a folder
(default ~/.cache/corpus-qa/qed) and point --data at it.

Shards 00-04 train the answer model (benchmarks/train_reader.py); shard 05 is never
trained on and becomes a corpus folder and question file for `qa eval` (run this file).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from qa.features import Vocabulary
from qa.index.keywords import KeywordIndex

DEFAULT_DATA = Path.home() / ".cache" / "corpus-qa" / "qed"
SHARDS = {
    "nq-train-00-qed.jsonlines": "92d88b54ff01a14ddeb7ad4f33581b3a2e087aa4d3ff0232181665abb372b843",
    "nq-train-01-qed.jsonlines": "170d6ef4b9b87c44e1dfdd6ab618b97aeb1df1eae01f203210aaa4b36ec7baaf",
    "nq-train-02-qed.jsonlines": "ee4f3da291accad9d3178a3199fb81925bdecf01c45597966ccafb6d3b08c658",
    "nq-train-03-qed.jsonlines": "f0734f94c1956461c5b3e921077a7591b3507155dc3ee3d443c9adc970f189d3",
    "nq-train-04-qed.jsonlines": "6615b5dbea9d0ffda94bc69aca1e8190fde4ccc9bd4e690f7c1cd372b5d5f6c3",
    "nq-train-05-qed.jsonlines": "e87752deb72b359cc67bfc3b104d774f254df76514d2d2b671b6f7ea15cd15e7",
}
HELD_OUT_SHARD = "nq-train-05-qed.jsonlines"
SEED = 20261202


@dataclass(frozen=True)
class Example:
    example_id: int
    title: str
    question: str
    paragraph: str
    answers: tuple[tuple[int, int], ...]
    """Character spans of the answer in the paragraph."""

    @property
    def answer_texts(self) -> list[str]:
        return [self.paragraph[s:e] for s, e in self.answers]


def load(folder: Path, shards: list[str]) -> list[Example]:
    """The examples of these shards, after checking each file's SHA-256."""
    examples = []
    for name in shards:
        path = folder / name
        if not path.is_file():
            raise SystemExit(f"{path} is missing: put the QED training shards in {folder} (see eval/qed.py)")
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != SHARDS[name]:
            raise SystemExit(f"{path} is not the expected QED shard (SHA-256 differs)")
        for line in data.decode("utf-8").splitlines():
            raw = json.loads(line)
            spans = tuple((int(s), int(e)) for s, e in raw["answer_spans"])
            if spans:
                examples.append(
                    Example(raw["example_id"], raw["title_text"], raw["question_text"], raw["paragraph_text"], spans)
                )
    return examples


def detokenize(text: str) -> str:
    """NQ's paragraphs come tokenized ("the feet ."); articles should read as prose."""
    text = re.sub(r" ([.,;:!?%)\]])", r"\1", text)
    text = re.sub(r"([(\[$]) ", r"\1", text)
    return text.replace(" 's", "'s").replace(" -- ", " – ")


_WORD = re.compile(r"[\w'-]+")
_FIGURE = re.compile(r"(?<![\d,.])\d+(?![\d,.]\d)")
MAX_FIGURE_SHIFT = 10
DONOR_TRIES = 20
"""Other questions tried for a word the paragraph lacks before the question is left alone."""


def swap_question(question: str, paragraph: str, donors: list[str], vocabulary: Vocabulary, rng: random.Random) -> str:
    """The question made unanswerable by its paragraph, as SQuAD 2.0's writers did by hand
    (Rajpurkar et al. 2018, "Know What You Don't Know", table 2: entity swap, number
    swap): the rarest word the paragraph shares with it, or a figure it shares, replaced
    by a word from another question or another figure, neither of which the paragraph
    has. Empty when the question shares nothing the paragraph could lose."""
    have = set(vocabulary.terms(paragraph))

    def rarity(word: str) -> float:
        return vocabulary.idf(vocabulary.terms(word)[0])

    words = [
        m
        for m in _WORD.finditer(question)
        if not m.group().isdigit() and (t := vocabulary.terms(m.group())) and t[0] in have
    ]
    stated = set(_FIGURE.findall(paragraph))
    figures = [m for m in _FIGURE.finditer(question) if m.group() in stated]
    if figures and (not words or rng.random() < 0.5):
        figure = rng.choice(figures)
        value = int(figure.group())
        shifted = [str(value + d) for d in range(-MAX_FIGURE_SHIFT, MAX_FIGURE_SHIFT + 1) if d and value + d > 0]
        options = [v for v in shifted if v not in stated]
        if options:
            return question[: figure.start()] + rng.choice(options) + question[figure.end() :]
    if not words:
        return ""
    target = max(words, key=lambda m: rarity(m.group()))
    asked = set(vocabulary.terms(question))
    for donor in rng.sample(donors, min(DONOR_TRIES, len(donors))):
        usable = [w for w in _WORD.findall(donor) if (t := vocabulary.terms(w)) and not {*t} & (have | asked)]
        if usable:
            word = max(usable, key=rarity)
            return question[: target.start()] + word + question[target.end() :]
    return ""


def build_eval(folder: Path, out: Path, questions: int, abstain_share: float) -> None:
    """Articles (one per Wikipedia title) and a question file from the held-out shard.

    A share of titles lose their paragraphs from the corpus: their questions become ones
    the articles cannot answer."""
    examples = load(folder, [HELD_OUT_SHARD])
    rng = random.Random(SEED)
    titles = sorted({e.title for e in examples})
    rng.shuffle(titles)
    dropped = set(titles[: int(len(titles) * abstain_share)])
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    by_title: dict[str, list[str]] = {}
    for e in examples:
        paragraphs = by_title.setdefault(e.title, [])
        if detokenize(e.paragraph) not in paragraphs:
            paragraphs.append(detokenize(e.paragraph))
    for n, title in enumerate(sorted(t for t in by_title if t not in dropped)):
        body = "\n\n".join([title, *by_title[title]])
        (corpus / f"{n:04d}_{re.sub(r'[^A-Za-z0-9]+', '_', title)[:40]}.txt").write_text(body + "\n", "utf-8")
    chosen = rng.sample(examples, min(questions, len(examples)))
    lines = []
    for e in sorted(chosen, key=lambda e: e.example_id):
        record = {"id": f"Q{e.example_id}", "question": e.question}
        if e.title in dropped:
            record["kind"] = "abstain"
        else:
            answers = sorted({detokenize(a) for a in e.answer_texts})
            record.update(kind="fact", answer_all=[answers], support=[["", a] for a in answers])
        lines.append(json.dumps(record, ensure_ascii=False))
    (out / "questions.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    print(f"wrote {len(by_title) - len(dropped)} articles to {corpus} and {len(lines)} questions to {out}")
    write_swapped(examples, dropped, out / "questions-swapped.jsonl", questions // 3, rng)


def write_swapped(examples: list[Example], dropped: set[str], path: Path, count: int, rng: random.Random) -> None:
    """Questions whose paragraph is in the corpus but, swapped (swap_question), no longer
    answers them: SQuAD 2.0's kind of unanswerable question, harder than a missing article."""
    vocabulary = KeywordIndex.build(sorted({e.paragraph for e in examples}))
    donors = [e.question for e in examples]
    kept = [e for e in examples if e.title not in dropped]
    lines = []
    for e in rng.sample(kept, len(kept)):
        swapped = swap_question(e.question, e.paragraph, donors, vocabulary, rng)
        if swapped:
            lines.append(json.dumps({"id": f"S{e.example_id}", "question": swapped, "kind": "abstain"}))
        if len(lines) == count:
            break
    path.write_text("\n".join(sorted(lines)) + "\n", "utf-8")
    print(f"wrote {len(lines)} swapped questions to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with the QED shards")
    parser.add_argument("--out", type=Path, default=Path("eval/qed-heldout"), help="where to write the set")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--abstain-share", type=float, default=0.2)
    args = parser.parse_args()
    build_eval(args.data, args.out, args.questions, args.abstain_share)


if __name__ == "__main__":
    main()
