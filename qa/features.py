"""Features of (question, candidate sentence) pairs, for the learned answer model.

One function serves both training (`benchmarks/train_reader.py`, over public QA data) and
answering, so the model sees at answer time exactly what it was trained on. Features
describe a candidate against the question and the other candidates (cosines, coverage of
the question's words weighted by the index's idf, shared phrases) and whether the sentence
adds what the question asks for (a number for "how many", a date for "when", a name for
"who"), so they mean the same on any corpus.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

_KIND_PATTERNS = (
    ("quantity", r"\bhow (?:many|much|long|far|old|big|large|often)\b|\bnumber of\b|\bwhat (?:number|percentage)\b"),
    ("when", r"\bwhen\b|\bwhat (?:year|date|day|month|time|century)\b|\bwhich (?:year|date|day|month|century)\b"),
    ("who", r"\bwho(?:m|se)?\b"),
    ("where", r"\bwhere\b|\bwhat (?:city|country|state|place)\b|\bwhich (?:city|country|state|place)\b"),
    ("why", r"\bwhy\b"),
    ("how", r"\bhow\b"),
    ("what", r"\bwhat\b|\bwhich\b"),
    ("polar", r"^(?:did|does|do|was|were|is|are|has|have|had|will|can|could|would|should)\b"),
)
_MONTHS = "january february march april may june july august september october november december"
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday"
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve dozen dozens twenty thirty forty fifty "
    "hundred hundreds thousand thousands million millions billion billions"
)
NUMBER = re.compile(r"\b\d[\d,.]*\b|\b(?:" + "|".join(_NUMBER_WORDS.split()) + r")\b", re.IGNORECASE)
DATE = re.compile(
    r"\b(?:1\d{3}|20\d{2})s?\b|\b(?:" + "|".join(m.title() for m in (_MONTHS + " " + _WEEKDAYS).split()) + r")\b"
)
"""Years, month and weekday names; a month is capitalised in running text ("may" and
"march" are verbs). News dates its events by weekday ("the strikes on Sunday")."""
FIGURE = re.compile(r"\d[\d,.]*\d|\d")
"""A figure as written, separators kept ("1,000" and "1.5" are one figure each)."""
NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+")
TYPE_FOR_KIND = {"quantity": "number", "when": "date", "who": "name", "where": "name"}
TYPES = ("number", "date", "name")
PREFIX_MIN = 4
"""Stems this long or longer match a stem they begin ("isra" ~ "israel", "iran" ~ "iranian")."""

SENTENCE_FEATURES = (
    "cosine",
    "passage_cosine",
    "coverage",
    "context_coverage",
    "passage_coverage",
    "phrase_run",
    "novelty",
    "length",
    "is_question",
    *(f"wants_{t}_has" for t in TYPES),
    *(f"wants_{t}_lacks" for t in TYPES),
)


class Vocabulary(Protocol):
    """What features need of an index's keywords (qa.index.keywords.KeywordIndex has it)."""

    def terms(self, text: str) -> Sequence[str]: ...

    def words(self, text: str) -> list[str]: ...

    def idf(self, term: str) -> float: ...


@dataclass(frozen=True)
class SentenceInput:
    """One candidate: its text, its cosine to the question, and where it sits."""

    text: str
    cosine: float
    passage: int
    """Candidates with the same number come from the same passage, in passage order."""


def question_kind(question: str) -> str:
    """What the question asks for, from its question words ("quantity", "when", "who", ...)."""
    lowered = question.lower().strip()
    for kind, pattern in _KIND_PATTERNS:
        if re.search(pattern, lowered):
            return kind
    return "other"


def matched(term: str, terms: set[str]) -> bool:
    """Exact stem, or one stem begins the other (morphology the stemmer misses: demonyms)."""
    if term in terms:
        return True
    if len(term) < PREFIX_MIN:
        return False
    return any(len(t) >= PREFIX_MIN and (t.startswith(term) or term.startswith(t)) for t in terms)


def coverage(weights: dict[str, float], terms: set[str]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if matched(t, terms)) / total if total else 0.0


def types_added(text: str, question_words: set[str]) -> dict[str, bool]:
    """Which kinds of answer the sentence states beyond the question's own words."""
    found = {}
    for name, pattern in (("number", NUMBER), ("date", DATE), ("name", NAME)):
        found[name] = any(m.group().lower() not in question_words for m in pattern.finditer(text))
    return found


def shared_run(first: list[str], second: list[str], content: set[str]) -> int:
    """Length of the longest run of words both share that holds at least one content word.

    Runs are followed only from where they start (the words before differ): a run that
    starts inside another is shorter and holds no content word the longer one lacks."""
    where: dict[str, list[int]] = {}
    for j, word in enumerate(second):
        where.setdefault(word, []).append(j)
    best = 0
    for i, word in enumerate(first):
        for j in where.get(word, ()):
            if i and j and first[i - 1] == second[j - 1]:
                continue
            n = 1
            while i + n < len(first) and j + n < len(second) and first[i + n] == second[j + n]:
                n += 1
            if n > best and any(w in content for w in first[i : i + n]):
                best = n
    return best


def question_weights(question: str, vocabulary: Vocabulary) -> dict[str, float]:
    return {t: vocabulary.idf(t) for t in set(vocabulary.terms(question))}


def sentence_features(question: str, candidates: Sequence[SentenceInput], vocabulary: Vocabulary) -> np.ndarray:
    """One row of SENTENCE_FEATURES per candidate."""
    if not candidates:
        return np.zeros((0, len(SENTENCE_FEATURES)), dtype=np.float64)
    weights = question_weights(question, vocabulary)
    content = set(weights)
    question_words = vocabulary.words(question)
    lowered = {w.lower() for w in re.findall(r"[\w’'-]+", question)}
    wanted = TYPE_FOR_KIND.get(question_kind(question))
    terms = [set(vocabulary.terms(c.text)) for c in candidates]
    passage_terms: dict[int, set[str]] = {}
    passage_best: dict[int, float] = {}
    for c, t in zip(candidates, terms, strict=True):
        passage_terms.setdefault(c.passage, set()).update(t)
        passage_best[c.passage] = max(passage_best.get(c.passage, -1.0), c.cosine)
    rows = []
    for i, (c, t) in enumerate(zip(candidates, terms, strict=True)):
        first = i == 0 or candidates[i - 1].passage != c.passage
        before = set() if first else terms[i - 1]
        novel = [term for term in t if not matched(term, content)]
        added = types_added(c.text, lowered)
        run = shared_run(question_words, vocabulary.words(c.text), content)
        rows.append(
            [
                c.cosine,
                passage_best[c.passage],
                coverage(weights, t),
                coverage(weights, t | before),
                coverage(weights, passage_terms[c.passage]),
                min(max(run - 1, 0), 3) / 3,
                len(novel) / len(t) if t else 0.0,
                np.log1p(len(c.text.split())) / 4,
                float(c.text.rstrip().endswith("?")),
                *(float(wanted == name and added[name]) for name in TYPES),
                *(float(wanted == name and not added[name]) for name in TYPES),
            ]
        )
    return np.array(rows, dtype=np.float64)


ANSWERABLE_FEATURES = (
    "best",
    "best_cosine",
    "best_passage_coverage",
    "best_coverage",
    "missing",
    "rarest_missing",
    "number_missing",
    "passage_missing",
    "passage_rarest_missing",
    "passage_number_missing",
)


def answerable_features(
    question: str,
    candidates: Sequence[SentenceInput],
    features: np.ndarray,
    probabilities: np.ndarray,
    vocabulary: Vocabulary,
) -> np.ndarray:
    """Whether the candidates answer the question at all, from the best of them and from
    what of the question no candidate mentions: its share, its rarest word (a question
    about another prize, person or place shares most words with passages about this one)
    and its figures (another year); then the same of the best sentence's own passage, since
    an answer stands in one passage, not spread over several."""
    weights = question_weights(question, vocabulary)
    figures = set(FIGURE.findall(question))
    if not candidates:
        nothing = _missing(weights, figures, set(), set())
        return np.array([0.0, 0.0, 0.0, 0.0, *nothing, *nothing])
    best = int(np.argmax(probabilities))
    terms = [set(vocabulary.terms(c.text)) for c in candidates]
    stated = [set(FIGURE.findall(c.text)) for c in candidates]
    here = [i for i, c in enumerate(candidates) if c.passage == candidates[best].passage]
    everywhere = set().union(*terms), set().union(*stated)
    in_passage = set().union(*(terms[i] for i in here)), set().union(*(stated[i] for i in here))
    column = {name: i for i, name in enumerate(SENTENCE_FEATURES)}
    return np.array(
        [
            probabilities[best],
            features[best, column["cosine"]],
            features[:, column["passage_coverage"]].max(),
            features[best, column["context_coverage"]],
            *_missing(weights, figures, *everywhere),
            *_missing(weights, figures, *in_passage),
        ]
    )


def _missing(weights: dict[str, float], figures: set[str], terms: set[str], stated: set[str]) -> tuple[float, ...]:
    """What of the question the terms and figures lack: the idf share of its words, its
    rarest missing word's idf against its rarest word's, and whether a figure is missing."""
    number = float(bool(figures - stated))
    if not weights:
        return 0.0, 0.0, number
    unmatched = [w for t, w in weights.items() if not matched(t, terms)]
    return 1.0 - coverage(weights, terms), max(unmatched, default=0.0) / max(weights.values()), number
