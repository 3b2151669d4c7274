"""Whether two sentences that answer a yes/no question contradict each other: one denies,
or does not know, what the other asserts.

Conflicts between answers of other kinds come from their answer spans (qa.answer); a
denial is what a span cannot show ("did not disclose whether anyone was killed" against
"five were killed").
"""

from __future__ import annotations

import re
from collections.abc import Callable

_DENIAL = re.compile(
    r"\b(?:no|not|none|nobody|never|neither|unclear|unknown|too early|didn[’']t|doesn[’']t|wasn[’']t)\b",
    re.IGNORECASE,
)
_POLAR_START = re.compile(r"^(?:did|does|do|was|were|is|are|has|have|had|will|can|could)\b", re.IGNORECASE)

DENIAL_WINDOW = 8
"""A denial counts only this close (in words) to a word the question asks about:
"not authorized to speak" says nothing about casualties."""


def denies(sentence: str, asked: Callable[[str], bool] = lambda word: True) -> bool:
    """Whether the sentence denies or does not know something near the words `asked` picks out."""
    anchors = [i for i, word in enumerate(sentence.split()) if asked(word)]
    return any(
        abs(len(sentence[: m.start()].split()) - anchor) <= DENIAL_WINDOW
        for m in _DENIAL.finditer(sentence)
        for anchor in anchors
    )


def is_polar(question: str) -> bool:
    """A yes/no question ("Were there casualties?"), where a denial contradicts an assertion."""
    return bool(_POLAR_START.match(question.strip()))


def disagree(question: str, first: str, second: str, asked: Callable[[str], bool] = lambda word: True) -> bool:
    """Whether two sentences that both answer the yes/no `question` contradict each other."""
    return is_polar(question) and denies(first, asked) != denies(second, asked)
