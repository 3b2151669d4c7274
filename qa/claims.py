"""What a sentence claims, in the two ways sources most often disagree: figures and denials.

Used to spot conflicts ("at least five fighters were killed" against "one youngster" against
"did not disclose whether anyone was killed") without a language model: sentences that
answer the same question but state different figures, or where one denies or does not know
what another asserts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12, "fifteen": 15, "twenty": 20, "dozens": 24,
    "hundred": 100, "hundreds": 200, "thousand": 1000, "thousands": 2000,
}  # fmt: skip
_DIGITS = re.compile(r"(?<![\w./-])\d{1,3}(?:,\d{3})+(?![\w-])|(?<![\w./-])\d+(?:\.\d+)?(?![\w-])")
_WORDS = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_DENIAL = re.compile(
    r"\b(?:no|not|none|nobody|never|neither|unclear|unknown|too early|didn[’']t|doesn[’']t|wasn[’']t)\b",
    re.IGNORECASE,
)
_POLAR_START = re.compile(r"^(?:did|does|do|was|were|is|are|has|have|had|will|can|could)\b", re.IGNORECASE)
_QUANTITY = re.compile(r"\bhow (?:many|much)\b|\bnumber of\b|\bwhat (?:number|figure)\b", re.IGNORECASE)


FIGURE_WINDOW = 4
DENIAL_WINDOW = 8
"""A figure or a denial counts only this close (in words) to a word the question asks about:
"not authorized to speak" says nothing about casualties."""


@dataclass(frozen=True)
class Claim:
    figures: frozenset[float]
    denies: bool


def claim_of(sentence: str, asked: Callable[[str], bool] = lambda word: True) -> Claim:
    """Figures and denials near the words `asked` picks out. Years and designators like
    F-15 are not figures."""
    words = sentence.split()
    anchors = [i for i, word in enumerate(words) if asked(word)]

    def close(index: int, window: int) -> bool:
        return any(abs(index - anchor) <= window for anchor in anchors)

    figures = {value for i, word in enumerate(words) if close(i, FIGURE_WINDOW) for value in _figures(word)}
    denies = any(close(len(sentence[: m.start()].split()), DENIAL_WINDOW) for m in _DENIAL.finditer(sentence))
    return Claim(frozenset(figures), denies)


def _figures(word: str) -> list[float]:
    values = [float(_NUMBER_WORDS[m.group().lower()]) for m in _WORDS.finditer(word)]
    for match in _DIGITS.finditer(word):
        value = float(match.group().replace(",", ""))
        if "." in match.group() or not 1900 <= value <= 2100:
            values.append(value)
    return values


def asks_for_quantity(question: str) -> bool:
    return bool(_QUANTITY.search(question))


def is_polar(question: str) -> bool:
    """A yes/no question ("Were there casualties?"), where a denial contradicts an assertion."""
    return bool(_POLAR_START.match(question.strip()))


def disagree(question: str, first: str, second: str, asked: Callable[[str], bool] = lambda word: True) -> bool:
    """Whether two sentences that both answer `question` contradict each other."""
    a, b = claim_of(first, asked), claim_of(second, asked)
    if asks_for_quantity(question):
        if a.figures and b.figures:
            return not (a.figures & b.figures)
        return bool(a.figures or b.figures) and (a.denies or b.denies)
    return is_polar(question) and a.denies != b.denies
