"""Split news prose into sentences with character offsets, so quotes can be located exactly.

A rule-based splitter in the style of Punkt's heuristics (Kiss & Strunk 2006) without its
trained parameters: a full stop ends a sentence unless it closes a known abbreviation,
an initial ("John F. Kirby") or a dotted acronym ("U.S.", "C.I.A.").
"""

from __future__ import annotations

import re
from typing import NamedTuple

_ABBREVIATION_TEXT = """
mr mrs ms dr prof gen lt col cmdr capt sgt adm maj sen rep gov pres gens reps sens st jr sr
inc corp co ltd no nos vs etc approx est dept fig jan feb mar apr jun jul aug sep sept oct
nov dec a.m p.m i.e e.g u.s u.n u.k e.u
"""
ABBREVIATIONS = frozenset(_ABBREVIATION_TEXT.split())
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")


class Sentence(NamedTuple):
    start: int
    end: int
    text: str


WORD_WINDOW = 64
"""Characters looked at before a full stop to find the word it ends; no abbreviation is longer."""


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of `text` in order; text[start:end] == sentence.text, stripped."""
    sentences: list[Sentence] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.group().startswith(".") and _is_abbreviation(text, match.start()):
            continue
        _append(sentences, text, start, match.end())
        start = match.end()
    _append(sentences, text, start, len(text))
    return sentences


def _is_abbreviation(text: str, dot: int) -> bool:
    # Only the last WORD_WINDOW characters: searching all of text[:dot] cost time in its
    # length at every full stop, so a 1 MB paragraph took minutes to split.
    found = re.search(r"[\w.’']*$", text[max(0, dot - WORD_WINDOW) : dot])
    word = found.group() if found else ""
    bare = word.lower().strip(".")
    if bare in ABBREVIATIONS:
        return True
    if len(bare) == 1 and bare.isalpha():
        return True
    return bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", bare))


def _append(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        offset = start + len(chunk) - len(chunk.lstrip())
        sentences.append(Sentence(offset, offset + len(stripped), stripped))
