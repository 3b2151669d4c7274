"""Make a follow-up question stand on its own, using the earlier turns of the chat.

"Who is Yair Lapid?" then "What did he say about the accord?" should search for what
Yair Lapid said. Without a language model, the names of the last user turn that the new
question lacks stand in for its pronouns, or are appended when it has none.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qa.errors import QueryError

_PERSONAL = {"he", "she", "him", "her"}
_POSSESSIVE = {"his", "her"}
"""Pronouns for a person, which a name from the last question can replace. "They", "it"
and "them" more often mean what the answer was about ("When did they happen?" after "Who
is John Kirby?" asks about the strikes), so for them the names are only added."""
_AFTER_OBJECT = {"", "about", "to", "for", "with", "from", "in", "on", "at", "and", "or", "say", "said"}
"""Words after "her" that make it an object ("ask her about"), not a possessive ("her role")."""
_REFERRING = (
    _PERSONAL | _POSSESSIVE | {"they", "them", "their", "it", "its", "this", "that", "these", "those", "there", "then"}
)
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
_OPENERS = r"who|whom|whose|what|when|where|why|how|which|is|are|was|were|did|does|do|has|have|had|will|can|could"
_ELLIPSIS = re.compile(
    r"^(?:(?:and|or|but|also|so)\b|(?:what|how) about\b|what else\b|same for\b"
    r"|(?:who|what|when|where|why|how|which)(?:\s+(?:not|so|exactly|else))?\W*$)",
    re.IGNORECASE,
)
"""A question that goes on from the last one: "And in Syria?", "What about Kirby?", "Why?".
"Who ordered the strikes?" is short but whole, and is searched as typed."""
_OPENER = re.compile(rf"^(?:{_OPENERS})\b", re.IGNORECASE)


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
            raise QueryError(
                f"bad history entry {reprlib.repr(item)}: need role 'user' or 'assistant' and text content"
            )
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
        return f"{question} ({previous[-1]})" if elliptical(question) else question
    missing = [n for n in names_in(previous[-1]) if n.lower() not in question.lower()]
    if not missing:
        return f"{question} ({previous[-1]})"
    if len(missing) == 1:
        replaced = _replace_first_pronoun(question, missing[0])
        if replaced != question:
            return replaced
    return f"{question} ({', '.join(missing)})"


def elliptical(question: str) -> bool:
    """Whether the question only makes sense as a continuation of the last one."""
    stripped = question.strip()
    short = len(re.findall(r"[\w’'-]+", stripped)) <= _SHORT_QUESTION_WORDS
    return bool(_ELLIPSIS.match(stripped)) or (short and not _OPENER.match(stripped))


def _replace_first_pronoun(question: str, name: str) -> str:
    def swap(match: re.Match[str]) -> str:
        word = match.group(1).lower()
        possessive = word == "his" or (word == "her" and match.group(2).strip().lower() not in _AFTER_OBJECT)
        return f"{name}'s{match.group(2)}" if possessive else f"{name}{match.group(2)}"

    pattern = r"\b(" + "|".join(sorted(_PERSONAL | _POSSESSIVE)) + r")\b(\s*[\w’'-]*)"
    return re.sub(pattern, swap, question, count=1, flags=re.IGNORECASE)
