"""Candidate answer spans inside a sentence, and their features for the learned span scorer.

Candidates are the phrases a factual answer usually is: a figure with what it counts
("2,500 troops"), a date ("June 27, 2021"), a run of capitalised words with its joining
words ("Lloyd Austin and Mark Milley", "Tampa, Florida"). Which one answers, if any, is
the model's call, from its type, how far it sits from the question's words in the
sentence, and whether it merely repeats the question.
"""

from __future__ import annotations

import itertools
import re
import string
from dataclasses import dataclass

import numpy as np

from qa.features import DATE, NUMBER, TYPE_FOR_KIND, TYPES, Vocabulary, matched, question_kind

_TOKEN = re.compile(r"\d[\d,.]*\d|\d|[\w’'-]+|[^\w\s]")
_JOINERS = frozenset({"of", "the", "and", "de", "al", "bin", "von", "van", "for", "on"})
_LEADING = frozenset({"in", "on", "at", "by", "from", "to", "of", "since", "for", "during", "as"})
_UNIT_STOP = frozenset({"and", "or", "of", "the", "a", "an", "to", "in", "on", "at", "by", "were", "was", "is", "are"})
_CURRENCY = frozenset("$€£¥₹")
MAX_SPAN_TOKENS = 8
_PUNCTUATION = str.maketrans("", "", string.punctuation + "’‘“”")

SPAN_FEATURES = (
    *(f"type_{t}" for t in TYPES),
    *(f"wanted_{t}" for t in TYPES),
    "repeats_question",
    "distance",
    "length",
    "after_preposition",
    "first_of_type",
    "sentence_start",
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    """Character offsets within the sentence."""
    text: str
    kind: str
    """One of qa.features.TYPES."""


def _tokens(sentence: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(sentence)]


def asks_for_span(question: str) -> bool:
    """Whether the question asks for a figure, a date, a name or a place: the answers that
    are phrases of their own. Other questions ("what happened", "why") are answered by
    sentences alone."""
    return question_kind(question) in TYPE_FOR_KIND


def candidate_spans(sentence: str) -> list[Span]:
    """Figures (with the word they count), dates and capitalised names, in sentence order."""
    tokens = _tokens(sentence)
    spans: list[Span] = []
    i = 0
    while i < len(tokens):
        start, _, word = tokens[i]
        if DATE.fullmatch(word) or NUMBER.fullmatch(word):
            if i and tokens[i - 1][2] in _CURRENCY and tokens[i - 1][1] == start:
                start = tokens[i - 1][0]
            j = i
            while j + 1 < len(tokens) and (
                DATE.fullmatch(tokens[j + 1][2]) or NUMBER.fullmatch(tokens[j + 1][2]) or tokens[j + 1][2] == ","
            ):
                j += 1
            while tokens[j][2] == ",":
                j -= 1
            kind = "date" if any(DATE.fullmatch(t[2]) for t in tokens[i : j + 1]) else "number"
            spans.append(Span(start, tokens[j][1], sentence[start : tokens[j][1]], kind))
            if kind == "number" and j + 1 < len(tokens) and tokens[j + 1][2].isalpha():
                unit = tokens[j + 1]
                if unit[2].lower() not in _UNIT_STOP:
                    spans.append(Span(start, unit[1], sentence[start : unit[1]], kind))
            i = j + 1
            continue
        if word[:1].isupper() and word.lower() not in _JOINERS:
            j = i
            while j + 1 < len(tokens) and j - i < MAX_SPAN_TOKENS:
                nxt = tokens[j + 1][2]
                if _capitalised(nxt):
                    j += 1
                elif (nxt.lower() in _JOINERS or nxt == ",") and j + 2 < len(tokens) and _capitalised(tokens[j + 2][2]):
                    j += 2
                else:
                    break
            spans.extend(_names(sentence, tokens[i : j + 1]))
            i = j + 1
            continue
        i += 1
    return spans


def _capitalised(word: str) -> bool:
    """A word that continues a name: capitalised and not a date ("Annie Ernaux on Thursday"
    is a name and a date)."""
    return word[:1].isupper() and not DATE.fullmatch(word)


def _names(sentence: str, run: list[tuple[int, int, str]]) -> list[Span]:
    """A run of capitalised words split at its commas, and two one-word parts joined
    again ("Tampa, Florida"), since a comma both lists names and qualifies a place."""
    parts: list[list[tuple[int, int, str]]] = [[]]
    for token in run:
        if token[2] == ",":
            parts.append([])
        else:
            parts[-1].append(token)
    spans = [Span(p[0][0], p[-1][1], sentence[p[0][0] : p[-1][1]], "name") for p in parts if p]
    for first, second in itertools.pairwise(parts):
        if len(first) == 1 and len(second) == 1:
            spans.append(Span(first[0][0], second[0][1], sentence[first[0][0] : second[0][1]], "name"))
    return spans


def span_features(question: str, sentence: str, spans: list[Span], vocabulary: Vocabulary) -> np.ndarray:
    """One row of SPAN_FEATURES per span."""
    if not spans:
        return np.zeros((0, len(SPAN_FEATURES)))
    wanted = TYPE_FOR_KIND.get(question_kind(question))
    question_terms = set(vocabulary.terms(question))
    question_lower = {w.lower() for w in re.findall(r"[\w’'-]+", question)}
    tokens = _tokens(sentence)
    anchors = [
        k for k, (_, _, word) in enumerate(tokens) if any(matched(t, question_terms) for t in vocabulary.terms(word))
    ]
    seen: set[str] = set()
    rows = []
    for span in spans:
        inside = [k for k, (s, e, _) in enumerate(tokens) if s >= span.start and e <= span.end]
        words = [tokens[k][2].lower() for k in inside if tokens[k][2] not in string.punctuation]
        repeats = sum(w in question_lower for w in words) / len(words) if words else 1.0
        outside = [a for a in anchors if a not in inside]
        distance = min((min(abs(a - k) for k in inside) for a in outside), default=len(tokens)) if inside else 0
        before = tokens[inside[0] - 1][2].lower() if inside and inside[0] > 0 else ""
        rows.append(
            [
                *(float(span.kind == t) for t in TYPES),
                *(float(span.kind == t and wanted == t) for t in TYPES),
                repeats,
                np.log1p(distance) / 3,
                np.log1p(len(words)) / 2,
                float(before in _LEADING),
                float(span.kind not in seen),
                float(bool(inside) and inside[0] == 0),
            ]
        )
        seen.add(span.kind)
    return np.array(rows, dtype=np.float64)


def normalize_answer(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, articles or extra spaces."""
    text = text.lower().translate(_PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def same_answer(first: str, second: str) -> bool:
    """Two spans give the same answer when one's normalised words hold the other's."""
    a, b = normalize_answer(first).split(), normalize_answer(second).split()
    if not a or not b:
        return False
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return any(long[i : i + len(short)] == short for i in range(len(long) - len(short) + 1))


def counted(sentence: str, span: str, vocabulary: Vocabulary) -> set[str]:
    """The stem of the word a figure counts: the span's own last word ("2,500 troops") or
    the word after it in its sentence ("twelve people were killed")."""
    words = re.findall(r"[^\W\d_]+", span)
    if len(span.split()) < 2 or not words or not span.rstrip()[-1:].isalpha():
        at = sentence.find(span)
        words = re.findall(r"[^\W\d_]+", sentence[at + len(span) :])[:1] if at >= 0 else []
    return set(vocabulary.terms(words[-1])) if words else set()


def same_count(first_sentence: str, first: str, second_sentence: str, second: str, vocabulary: Vocabulary) -> bool:
    """Whether two figures count the same thing, so that they can disagree: "twelve people"
    and "three people" can, "three facilities" and "seven 500-pound bombs" cannot. A figure
    with no word after it counts whatever the other does."""
    units = counted(first_sentence, first, vocabulary), counted(second_sentence, second, vocabulary)
    return not all(units) or any(matched(t, units[1]) for t in units[0])
