"""Turn a drafted answer into text with [n] markers and the citations they point to."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from qa.answer import Candidate, Draft, Statement
from qa.passages import place
from qa.searchable import Searchable
from qa.verify import supports


@dataclass(frozen=True)
class Citation:
    n: int
    article_id: str
    title: str
    source: str | None
    date: str | None
    paragraph: int
    passage_id: str
    text: str
    """The full cited paragraph (or part, for a paragraph split to fit the model)."""
    quote: str
    """The sentence quoted from it; text[span[0]:span[1]] == quote."""
    span: tuple[int, int]
    score: float
    page: int | None = None
    """The PDF page the paragraph is on; None for files without pages."""

    @property
    def place(self) -> str:
        """Where in the article: "p. 3 ¶12" for a PDF, "¶12" otherwise."""
        return place(self.paragraph, self.page)


@dataclass(frozen=True)
class Sentence:
    """One sentence of an answer with the citation numbers that back it, kept apart from the
    rendered text so a front end can escape the article's words and still draw the markers."""

    text: str
    cites: list[int]
    agreeing: int
    answer_span: str | None = None
    """The answer itself, quoted from `text`, when the model is confident of it."""


@dataclass(frozen=True)
class Answer:
    question: str
    searched_for: str
    answer: str
    answered: bool
    citations: list[Citation]
    related: list[Citation]
    conflict: bool = False
    agreeing: list[int] | None = None
    """For each answer sentence, how many articles state it."""
    sentences: list[Sentence] = field(default_factory=list)
    index_version: str = ""
    """The index version the answer came from: its citations are passages of that version."""
    confidence: float = 0.0
    """The answer model's probability that the retrieved passages answer the question."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("citations", "related"):
            for citation in data[key]:
                citation["span"] = list(citation["span"])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        """The answer `to_dict` gave (a saved conversation's), with its citations."""

        def citations(key: str) -> list[Citation]:
            return [Citation(**{**c, "span": (c["span"][0], c["span"][1])}) for c in data[key]]

        fields = {k: v for k, v in data.items() if k not in ("citations", "related", "sentences")}
        sentences = [Sentence(**s) for s in data.get("sentences", [])]
        return cls(**fields, citations=citations("citations"), related=citations("related"), sentences=sentences)


def render(question: str, searched_for: str, draft: Draft, version: Searchable) -> Answer:
    related = [_citation(n, c, version) for n, c in enumerate(draft.related, start=1)]
    statements = [_verified(s, version) for s in draft.statements]
    statements = [s for s in statements if s.support]
    if not statements:
        return Answer(
            question,
            searched_for,
            _abstention(draft.missing),
            False,
            [],
            related,
            index_version=version.name,
            confidence=draft.confidence,
        )
    numbers: dict[int, Citation] = {}
    sentences = []
    for statement in statements:
        for candidate in statement.support:
            if candidate.sentence_row not in numbers:
                numbers[candidate.sentence_row] = _citation(len(numbers) + 1, candidate, version)
        cites = [numbers[c.sentence_row].n for c in statement.support]
        agreeing = len({c.article_id for c in statement.support})
        sentences.append(Sentence(statement.text, cites, agreeing, statement.answer_span))
    parts = [CONFLICT_NOTE] if draft.conflict else [f"{s}." for s in lead_span(sentences)]
    parts += [f"{s.text} {''.join(f'[{n}]' for n in s.cites)}{agreement_note(s.agreeing)}" for s in sentences]
    return Answer(
        question,
        searched_for,
        " ".join(parts),
        True,
        list(numbers.values()),
        [],
        draft.conflict,
        [s.agreeing for s in sentences],
        sentences,
        version.name,
        draft.confidence,
    )


def lead_span(sentences: list[Sentence]) -> list[str]:
    """The extracted answer to show before the sentences, if the first one has it."""
    return [sentences[0].answer_span] if sentences and sentences[0].answer_span else []


CONFLICT_NOTE = "Reports differ."


def agreement_note(agreeing: int) -> str:
    return f" ({agreeing} sources agree)" if agreeing > 1 else ""


def _verified(statement: Statement, version: Searchable) -> Statement:
    kept = [
        c
        for c in statement.support
        if supports(statement.text, c.result.passage.text, c.text, (c.start, c.end), version.segments)
    ]
    return Statement(statement.text, kept, statement.answer_span)


def _citation(n: int, candidate: Candidate, version: Searchable) -> Citation:
    passage = candidate.result.passage
    article = version.article(passage.article_id)
    return Citation(
        n=n,
        article_id=passage.article_id,
        title=candidate.result.title,
        source=article.source if article else None,
        date=article.date if article else None,
        paragraph=passage.paragraph,
        passage_id=passage.passage_id,
        text=passage.text,
        quote=candidate.text,
        span=(candidate.start, candidate.end),
        score=round(candidate.score, 4),
        page=passage.page,
    )


def _abstention(missing: list[str]) -> str:
    if missing:
        names = ", ".join(f"“{name}”" for name in missing)
        return f"The articles don't say: none of them mentions {names}. The closest passages are listed as related."
    return "The articles don't say. The closest passages are listed as related reading, not as an answer."
