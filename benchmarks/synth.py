"""Synthetic news corpora at any size, for the scale figures of the benchmark.

Sentences of the seed articles are recombined with varied names, places and numbers, so
paragraphs read like the seed (same vocabulary and length) but are all different, as
they would be in a growing archive. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from qa.articles import scan_corpus
from qa.sentences import split_sentences

PARAGRAPHS_PER_ARTICLE = 20
NAMES = [
    "Amal Haddad", "John Reyes", "Mira Sato", "Omar Farouk", "Lena Kovacs", "Tariq Aziz", "Sara Lind",
    "Karim Nasser", "Hana Novak", "David Osei", "Yusuf Demir", "Nadia Petrov", "Ali Rahimi", "Eva Brandt",
]  # fmt: skip
PLACES = [
    "Basra", "Mosul", "Deir ez-Zor", "Kirkuk", "Erbil", "Albu Kamal", "Tikrit", "Raqqa", "Homs", "Najaf",
    "Fallujah", "Ramadi", "Hasakah", "Qaim", "Samarra", "Baqubah",
]  # fmt: skip
_NUMBER = re.compile(r"\b\d+\b")
_NAME = re.compile(r"\b(?:Biden|Kirby|Trump|Kaine|Lapid|Blinken|McKenzie|Mulroy|Soleimani)\b")
_PLACE = re.compile(r"\b(?:Iraq|Syria|Baghdad|Arbil|Tehran|Washington)\b")


def seed_sentences(corpus_dir: Path) -> list[str]:
    sentences = []
    for article in scan_corpus(corpus_dir).articles:
        for paragraph in article.paragraphs:
            sentences += [paragraph[s.start : s.end] for s in split_sentences(paragraph)]
    return [s for s in sentences if len(s.split()) >= 6]


def articles(seed_corpus: Path, passages: int, seed: int = 0) -> Iterator[tuple[str, list[str]]]:
    """About `passages` paragraphs as (title, paragraphs) articles of PARAGRAPHS_PER_ARTICLE."""
    rng = random.Random(seed)
    sentences = seed_sentences(seed_corpus)
    for n in range(max(1, passages // PARAGRAPHS_PER_ARTICLE)):
        title = f"Report {n} from {rng.choice(PLACES)}"
        paragraphs = []
        for _ in range(PARAGRAPHS_PER_ARTICLE):
            picked = rng.sample(sentences, rng.randint(1, 2))
            paragraph = " ".join(_vary(s, rng) for s in picked)
            paragraphs.append(
                f"{paragraph} ({rng.choice(NAMES)}, {rng.randint(1, 28)} {rng.choice(PLACES)} desk, item {n})"
            )
        yield title, paragraphs


def write_corpus(seed_corpus: Path, folder: Path, passages: int, seed: int = 0, prefix: str = "synth") -> int:
    """Write about `passages` paragraphs as articles of PARAGRAPHS_PER_ARTICLE; return the article count."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for n, (title, paragraphs) in enumerate(articles(seed_corpus, passages, seed)):
        (folder / f"{prefix}-{n:06d}.txt").write_text("\n\n".join([title, *paragraphs]) + "\n", encoding="utf-8")
        written += 1
    return written


def _vary(sentence: str, rng: random.Random) -> str:
    sentence = _NUMBER.sub(lambda _: str(rng.randint(2, 900)), sentence)
    sentence = _NAME.sub(lambda _: rng.choice(NAMES).split()[1], sentence)
    return _PLACE.sub(lambda _: rng.choice(PLACES), sentence)


SEED_NAMES = ["Kirby", "Biden", "McKenzie", "Lapid", "Trump", "Kaine", "Mulroy", "Blinken"]
SEED_PLACES = ["Iraq", "Syria", "Baghdad", "Arbil", "the border", "Kirkuk", "Tehran"]


def questions(count: int, offset: int = 0, names: Sequence[str] = NAMES, places: Sequence[str] = PLACES) -> list[str]:
    """Distinct questions in a corpus's vocabulary, for any offset (so no question cache
    helps): each pass over the templates, names and places moves the date on a month."""
    templates = [
        "what did {name} say about the strikes near {place}?",
        "how many fighters were killed in {place} according to {name}?",
        "which militias did {name} blame for the drone attacks on {place}?",
        "why did the United States strike targets in {place}, as {name} explained?",
    ]
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]  # fmt: skip
    out = []
    for i in range(offset, offset + count):
        template = templates[i % len(templates)]
        name = names[(i // len(templates)) % len(names)]
        place = places[(i // (len(templates) * len(names))) % len(places)]
        month = i // (len(templates) * len(names) * len(places)) + 5
        out.append(f"In {months[month % 12]} {2021 + month // 12}, " + template.format(name=name, place=place))
    return out
