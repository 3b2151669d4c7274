"""A conversation as text a reader can paste or file: plain text, Markdown or JSON.

Copying from the chat gives what the chat renders (escapes, bold markers) and loses the
sources, so copy and export are built here from the answers themselves: each answer with
its [n] markers, then the numbered sources it cites (title, outlet, date, article id,
paragraph, quote), so a pasted answer can still be checked.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from qa.cite import CONFLICT_NOTE, Answer, Citation, agreement_note, lead_span

RELATED_NOTE = "Related passages (not an answer):"


def _meta(citation: Citation) -> str:
    parts = [citation.source, citation.date, f"{citation.article_id} {citation.place}"]
    return ", ".join(p for p in parts if p)


def plain_text(answer: Answer) -> str:
    """The answer with its markers, then its sources, one per line."""
    lines = [answer.answer]
    if answer.searched_for != answer.question:
        lines.append(f"(Searched for: {answer.searched_for})")
    cards = answer.citations if answer.answered else answer.related
    if cards:
        lines.append("")
        lines.append("Sources:" if answer.answered else RELATED_NOTE)
        for c in cards:
            lines.append(f"[{c.n}] {c.title} ({_meta(c)}): “{c.quote}”")
    return "\n".join(lines)


def conversation_text(answers: Sequence[Answer]) -> str:
    """Every question and answer of the conversation, each with its own sources."""
    return "\n\n".join(f"Q: {a.question}\n{plain_text(a)}" for a in answers)


def _md(text: str) -> str:
    """Text that Markdown shows as written: no line breaks, and a backslash before the
    characters that would start markup in running text."""
    flat = " ".join(text.split())
    return "".join(f"\\{ch}" if ch in "\\`*_[]<>#|" else ch for ch in flat)


def _answer_markdown(answer: Answer) -> str:
    """Escaped sentences with our own markers, which article text cannot imitate."""
    if not answer.answered:
        return _md(answer.answer)
    parts = [f"*{CONFLICT_NOTE}*"] if answer.conflict else [f"**{_md(s)}**" for s in lead_span(answer.sentences)]
    for sentence in answer.sentences:
        marks = "".join(f"[{n}]" for n in sentence.cites)
        note = agreement_note(sentence.agreeing).strip()
        parts.append(f"{_md(sentence.text)} {marks}" + (f" {_md(note)}" if note else ""))
    return " ".join(parts)


def markdown(answers: Sequence[Answer], title: str = "corpus-qa conversation") -> str:
    """The conversation as a Markdown document: a heading per question, the answer, and a
    numbered source list with each quote as a block quote."""
    lines = [f"# {_md(title)}", ""]
    for answer in answers:
        lines += [f"## {_md(answer.question)}", ""]
        if answer.searched_for != answer.question:
            lines += [f"*Searched for: {_md(answer.searched_for)}*", ""]
        lines += [_answer_markdown(answer), ""]
        cards = answer.citations if answer.answered else answer.related
        if cards:
            lines += ["**Sources**" if answer.answered else f"**{RELATED_NOTE}**", ""]
            for c in cards:
                where = ", ".join(_md(p) for p in (c.source, c.date) if p)
                place = f"`{c.article_id.replace('`', '')}` {c.place}"
                lines.append(f"{c.n}. **{_md(c.title)}** — {where + ', ' if where else ''}{place}")
                lines.append(f"   > {_md(c.quote)}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_json(answers: Sequence[Answer]) -> str:
    """The answers as `qa ask --json` prints them, in a list."""
    return json.dumps([a.to_dict() for a in answers], ensure_ascii=False, indent=2) + "\n"
