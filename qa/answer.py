"""Compose an extractive answer: source sentences, each followed by the passages that back it.

Every sentence of the retrieved passages is scored by the learned answer model
(qa.scorer: the probability that it states the answer, from qa.features). A second model
decides from the best candidates whether they answer the question at all; below its
threshold, chosen on held-out data, the answer abstains. Inside each answering sentence
the span model picks the answer itself ("2,500", "Tampa, Florida"). Sources that give the
same answer span corroborate each other; confident sources giving different spans, or
denying what another asserts in a yes/no question, are shown side by side as a conflict.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.claims import disagree, is_polar
from qa.features import (
    SENTENCE_FEATURES,
    TYPE_FOR_KIND,
    SentenceInput,
    answerable_features,
    question_kind,
    sentence_features,
)
from qa.retrieval import SearchResult
from qa.scorer import AnswerModel
from qa.searchable import Searchable
from qa.spans import asks_for_span, candidate_spans, same_answer, same_count, span_features

LIKELY = 0.5
"""A sentence (or span) is taken to state the answer when the model finds that more likely
than not: the models give probabilities, so this is the even-odds point, not a tuned weight."""
MAX_SENTENCES = 3
COVERAGE = 0.8
"""Sentences are added until the answer is this likely to be among those shown: four times
in five, where even odds left a reader without it half the time. Only sentences at least
half as likely as the first qualify, so this shows more only where the model cannot tell
candidates apart (on the public QED set: accuracy 0.72 to 0.74, no change on the news sets)."""
SAME_CLAIM_SIMILARITY = 0.5
"""Sentences giving different answers conflict only when at least this alike: the same claim
with another figure ("twelve people were killed" / "three people were killed": 0.51), not
sentences from unrelated articles that happen to hold another date or name (on the public
QED set, most false "Reports differ" pairs were 0.17-0.39 alike; five closer ones remain)."""
SAME_FACT_SIMILARITY = 0.72
SAME_FACT_SHARE = 0.3
"""A restatement must be this close and share this much of what the chosen sentence adds
beyond the question. One test serves both ends: another article's restatement corroborates
a sentence, and a restatement is never shown as a further sentence. (A looser test for the
latter, cosine 0.6 alone, also dropped sentences that held the answer: on the public QED
set it cost four points of accuracy.)"""
_DATELINE = re.compile(r"^[A-Z][A-Z .,'’-]{2,40}(?:\([^)]*\))?\s*[–—-]+\s+")


@dataclass(frozen=True)
class Candidate:
    result: SearchResult
    sentence_row: int
    start: int
    end: int
    dense: float
    coverage: float
    score: float
    """The model's probability that this sentence states the answer."""

    @property
    def text(self) -> str:
        return self.result.passage.text[self.start : self.end]

    @property
    def article_id(self) -> str:
        return self.result.passage.article_id


@dataclass(frozen=True)
class SpanAnswer:
    text: str
    probability: float
    kind: str


@dataclass(frozen=True)
class Statement:
    """One sentence of the answer and the candidates (one per article) that back it."""

    text: str
    support: list[Candidate]
    answer_span: str | None = None
    """The answer itself, extracted from the sentence, when the span model is confident."""


@dataclass(frozen=True)
class Draft:
    statements: list[Statement]
    conflict: bool
    missing: list[str]
    """Names in the question that no article mentions."""
    related: list[Candidate]
    confidence: float = 0.0
    """The model's probability that the retrieved passages answer the question."""


@dataclass(frozen=True)
class Scored:
    candidates: list[Candidate]
    """Every sentence of the retrieved passages, most likely answer first (ties by index order)."""
    confidence: float
    """The probability that any of them answers the question."""
    vectors: dict[int, np.ndarray]
    """Each candidate's sentence vector, by sentence row."""


def score_candidates(
    version: Searchable,
    model: AnswerModel,
    question: str,
    query_vector: np.ndarray,
    results: Sequence[SearchResult],
) -> Scored:
    by_row = {r.passage.row: r for r in results}
    sentences = version.sentences(list(by_row))
    if not sentences:
        return Scored([], 0.0, {})
    sentence_rows = [s.row for s in sentences]
    matrix = version.sentence_vectors(sentence_rows)
    cosines = matrix @ query_vector
    texts = [by_row[s.passage_row].passage.text[s.start : s.end] for s in sentences]
    inputs = [
        SentenceInput(text, float(cosine), s.passage_row)
        for s, text, cosine in zip(sentences, texts, cosines, strict=True)
    ]
    rows = sentence_features(question, inputs, version.segments)
    probabilities = model.sentence.probability(rows)
    answerable = answerable_features(question, inputs, rows, probabilities, version.segments)
    confidence = float(model.answerable.probability(answerable[None])[0])
    coverage = rows[:, SENTENCE_FEATURES.index("coverage")]
    candidates = [
        Candidate(by_row[s.passage_row], s.row, s.start, s.end, float(c), float(cov), float(p))
        for s, c, cov, p in zip(sentences, cosines, coverage, probabilities, strict=True)
    ]
    ranked = sorted(candidates, key=lambda c: (-c.score, c.sentence_row))
    return Scored(ranked, confidence, dict(zip(sentence_rows, matrix, strict=True)))


def best_span(model: AnswerModel, question: str, sentence: str, version: Searchable) -> SpanAnswer | None:
    """The sentence's answer span, when the model gives it more than half the weight of all
    the sentence's candidate spans (the share transfers across domains better than the
    absolute probability, which depends on how many spans a sentence has)."""
    spans = candidate_spans(sentence) if asks_for_span(question) else []
    if not spans:
        return None
    probabilities = model.span.probability(span_features(question, sentence, spans, version.segments))
    shares = probabilities / probabilities.sum()
    best = int(np.argmax(shares))
    if shares[best] < LIKELY or spans[best].kind != TYPE_FOR_KIND[question_kind(question)]:
        return None
    return SpanAnswer(spans[best].text, float(shares[best]), spans[best].kind)


def missing_names(version: Searchable, question: str) -> list[str]:
    """Capitalised words of the question (past its first word) that no passage contains,
    to name in an abstention."""
    words = re.findall(r"[\w’'-]+", question)[1:]
    names = [w for w in words if w[:1].isupper() and len(w) > 2]
    return [w for w in names if _unknown(version, w)]


def _unknown(version: Searchable, word: str) -> bool:
    terms = version.segments.terms(word)
    return bool(terms) and not any(version.segments.knows(t) for t in terms)


def draft(
    version: Searchable,
    model: AnswerModel,
    question: str,
    query_vector: np.ndarray,
    results: Sequence[SearchResult],
) -> Draft:
    scored = score_candidates(version, model, question, query_vector, results)
    candidates, confidence, vectors = scored.candidates, scored.confidence, scored.vectors
    related = _best_per_passage(candidates)[:3]
    if not candidates or confidence < model.threshold:
        return Draft([], False, missing_names(version, question), related, round(confidence, 4))
    spans = {c.sentence_row: best_span(model, question, c.text, version) for c in candidates}
    plausible = [c for c in candidates if c.score >= LIKELY * candidates[0].score]
    sides = _conflicting(question, plausible, spans, vectors, version)
    if sides:
        statements = [Statement(trim(c.text), [c], _text(spans[c.sentence_row])) for c in sides]
        return Draft(statements, True, [], related, round(confidence, 4))
    statements = _select(model, candidates, vectors, spans, version, question)
    return Draft(statements, False, [], related, round(confidence, 4))


def _text(span: SpanAnswer | None) -> str | None:
    return span.text if span else None


def _select(
    model: AnswerModel,
    candidates: list[Candidate],
    vectors: dict[int, np.ndarray],
    spans: dict[int, SpanAnswer | None],
    version: Searchable,
    question: str,
) -> list[Statement]:
    """The likeliest sentence first, then the next likeliest that do not restate a chosen one
    and are at least half as likely as the first, until the answer is COVERAGE likely to be
    among those shown (taking the sentences' probabilities as independent), at most
    MAX_SENTENCES. Other articles giving the same answer span, or restating a sentence,
    corroborate it."""
    question_terms = set(version.segments.terms(question))

    def restates(lead: Candidate, other: Candidate) -> bool:
        if vectors[lead.sentence_row] @ vectors[other.sentence_row] < SAME_FACT_SIMILARITY:
            return False
        new_terms = set(version.segments.terms(lead.text)) - question_terms
        return _shared(new_terms, set(version.segments.terms(other.text)), version) >= SAME_FACT_SHARE

    chosen: list[Candidate] = []
    missed = 1.0
    for candidate in candidates:
        if len(chosen) == MAX_SENTENCES or 1.0 - missed >= COVERAGE:
            break
        if chosen and candidate.score < LIKELY * chosen[0].score:
            break
        if not any(restates(c, candidate) for c in chosen):
            chosen.append(candidate)
            missed *= 1.0 - candidate.score
    statements = []
    for lead in chosen:
        support = [lead]
        span = spans[lead.sentence_row]
        for other in candidates:
            if other.article_id in {c.article_id for c in support}:
                continue
            other_span = spans[other.sentence_row]
            agrees = same_answer(span.text, other_span.text) if span and other_span else restates(lead, other)
            if agrees:
                support.append(other)
        statements.append(Statement(trim(lead.text), support, _text(span)))
    return statements


def _shared(terms: set[str], other: set[str], version: Searchable) -> float:
    """Idf-weighted share of `terms` that `other` also has."""
    total = sum(version.segments.idf(t) for t in terms)
    return sum(version.segments.idf(t) for t in terms & other) / total if total else 1.0


def _conflicting(
    question: str,
    plausible: list[Candidate],
    spans: dict[int, SpanAnswer | None],
    vectors: dict[int, np.ndarray],
    version: Searchable,
) -> list[Candidate]:
    """Up to three plausible answers from different articles that contradict each other, or none.

    A sentence is plausible when the model finds it at least half as likely as the
    likeliest to state the answer (as for further answer sentences). Two articles contradict
    when each gives, in a plausible sentence, a confident answer span of the kind the
    question asks for, the spans differ and the sentences make the same kind of claim
    (SAME_CLAIM_SIMILARITY); for a yes/no question, when one
    denies what the other asserts. Different answers within one article count different
    things, not a disagreement."""
    wanted = TYPE_FOR_KIND.get(question_kind(question))
    question_terms = set(version.segments.terms(question))

    def asked(word: str) -> bool:
        return bool(question_terms & set(version.segments.terms(word)))

    def contradicts(side: Candidate, candidate: Candidate, span: SpanAnswer) -> bool:
        other = _text(spans[side.sentence_row]) or ""
        counts = span.kind != "number" or same_count(side.text, other, candidate.text, span.text, version.segments)
        alike = vectors[side.sentence_row] @ vectors[candidate.sentence_row] >= SAME_CLAIM_SIMILARITY
        return counts and alike and not same_answer(span.text, other)

    sides: list[Candidate] = []
    for candidate in plausible:
        if any(s.article_id == candidate.article_id for s in sides):
            continue
        span = spans[candidate.sentence_row]
        if is_polar(question):
            differs = not sides or any(disagree(question, s.text, candidate.text, asked) for s in sides)
        elif span is None or wanted is None or span.kind != wanted:
            continue
        else:
            differs = all(contradicts(s, candidate, span) for s in sides)
        if differs:
            sides.append(candidate)
        if len(sides) == MAX_SENTENCES:
            break
    return sides if len(sides) > 1 else []


def _best_per_passage(candidates: list[Candidate]) -> list[Candidate]:
    seen: set[int] = set()
    best = []
    for candidate in candidates:
        if candidate.result.passage.row not in seen:
            seen.add(candidate.result.passage.row)
            best.append(candidate)
    return best


def trim(sentence: str) -> str:
    """Drop a leading dateline ("WASHINGTON – "): it is place, not content."""
    return _DATELINE.sub("", sentence, count=1)
