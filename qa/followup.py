"""Make a follow-up question stand on its own, using the earlier turns of the chat.

"Who is Yair Lapid?" then "What did he say about the accord?" should search for what
Yair Lapid said. Without a language model, the names of the last user turn that the new
question lacks stand in for its pronouns, or are appended when it has none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qa.errors import QueryError

_PERSONAL = {"he", "she", "him", "her", "they", "them", "it"}
_POSSESSIVE = {"his", "her", "their", "its"}
_REFERRING = _PERSONAL | _POSSESSIVE | {"this", "that", "these", "those", "there", "then"}
_QUESTION_WORDS = {
    "who",
    "what",
    "when",
    "where",
    "why",
    "how",
    "which",
    "did",
    "does",
    "do",
    "is",
    "are",
    "was",
    "were",
    "and",
    "the",
    "a",
    "an",
    "in",
    "on",
    "of",
    "tell",
    "can",
    "could",
}
_NAME = re.compile(r"\b[A-Z][\w’'.-]*(?:\s+(?:al-|bin\s|de\s|of\s)?[A-Z][\w’'.-]*)*")
_SHORT_QUESTION_WORDS = 4
_FULL_QUESTION = re.compile(
    r"^(?:(?:who|what|when|where|why|how|which)\s+)?(?:is|are|was|were|did|does|do|has|have|had|will|can|could)\b",
    re.IGNORECASE,
)
"""A question word and a verb ("Who is Yair Lapid?"), or a verb first: a whole question,
however short, unlike "And in Syria?" or "What about Kirby?"."""


@dataclass(frozen=True)
class Turn:
    role: str
    content: str


def parse_history(raw: object) -> list[Turn]:
    """Accept [{"role", "content"}] (or plain strings, taken as user turns)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise QueryError('history must be a list of {"role", "content"} objects')
    turns = []
    for item in raw:
        if isinstance(item, str):
            turns.append(Turn("user", item))
        elif (
            isinstance(item, Mapping)
            and item.get("role") in ("user", "assistant")
            and isinstance(item.get("content"), str)
        ):
            turns.append(Turn(item["role"], item["content"]))
        else:
            raise QueryError(f"bad history entry {item!r}: need role 'user' or 'assistant' and text content")
    return turns


def names_in(text: str) -> list[str]:
    """Capitalised word runs, minus question words that start a sentence."""
    names = []
    for match in _NAME.finditer(text):
        words = match.group().rstrip(".").split()
        while words and words[0].lower() in _QUESTION_WORDS:
            words = words[1:]
        if words:
            names.append(" ".join(words))
    return list(dict.fromkeys(names))


def contextualize(question: str, history: Sequence[Turn]) -> str:
    """The question, with what it refers back to made explicit; unchanged if it stands alone."""
    previous = [t.content for t in history if t.role == "user" and t.content.strip()]
    if not previous:
        return question
    words = re.findall(r"[\w’'-]+", question)
    refers_back = bool(_REFERRING & {w.lower() for w in words})
    if not refers_back:
        elliptical = len(words) <= _SHORT_QUESTION_WORDS and not _FULL_QUESTION.match(question.strip())
        return f"{question} ({previous[-1]})" if elliptical else question
    missing = [n for n in names_in(previous[-1]) if n.lower() not in question.lower()]
    if not missing:
        return f"{question} ({previous[-1]})"
    if len(missing) == 1:
        replaced = _replace_first_pronoun(question, missing[0])
        if replaced != question:
            return replaced
    return f"{question} ({', '.join(missing)})"


def _replace_first_pronoun(question: str, name: str) -> str:
    def swap(match: re.Match[str]) -> str:
        word = match.group().lower()
        return f"{name}'s" if word in _POSSESSIVE - {"her"} else name

    pattern = r"\b(?:" + "|".join(sorted(_PERSONAL | _POSSESSIVE)) + r")\b"
    return re.sub(pattern, swap, question, count=1, flags=re.IGNORECASE)
