"""Compose an extractive answer: source sentences, each followed by the passages that back it.

Candidate sentences come from the retrieved passages. Each is scored by its cosine to the
question (sentence vectors are precomputed, so this is dot products) plus how much of the
question's rarer words it contains (idf-weighted, so "Soleimani" counts more than "said").
A sentence that restates a chosen one in another article corroborates it and is merged
into it; sentences that answer the question with different figures, or where one denies
what another asserts, are shown side by side as a conflict.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.claims import claim_of, disagree
from qa.retrieval import SearchResult
from qa.version import IndexVersion

ANSWER_THRESHOLD = 0.5
"""Below this best score the articles are taken not to answer the question."""
COVERAGE_WEIGHT = 0.3
CONTEXT_WEIGHT = 0.75
"""Share of the coverage gained from the previous sentence ("the two commanders" after
the sentence that names them) that counts for the current one."""
PHRASE_WEIGHT = 0.15
EXTRA_SENTENCE_MARGIN = 0.02
"""A further sentence joins the answer when it scores within this margin of the best."""
MAX_SENTENCES = 3
SAME_FACT_SIMILARITY = 0.72
SAME_FACT_SHARE = 0.3
"""A restatement must also share this much (idf-weighted) of what the chosen sentence adds
beyond the question, and state no other figures."""
NEW_FACT_SIMILARITY = 0.6
"""Below this similarity to every chosen sentence, a sentence states something new."""
CONFLICT_MARGIN = 0.15
CONFLICT_MIN_COVERAGE = 0.3
"""Each side of a conflict must itself address the question, not merely share its topic."""
SAME_POINT_SIMILARITY = 0.35
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

    @property
    def text(self) -> str:
        return self.result.passage.text[self.start : self.end]


@dataclass(frozen=True)
class Statement:
    """One sentence of the answer and the candidates (one per article) that back it."""

    text: str
    support: list[Candidate]


@dataclass(frozen=True)
class Draft:
    statements: list[Statement]
    conflict: bool
    missing: list[str]
    """Names in the question that no article mentions."""
    related: list[Candidate]


def score_candidates(
    version: IndexVersion, question: str, query_vector: np.ndarray, results: Sequence[SearchResult]
) -> list[Candidate]:
    """Every sentence of the retrieved passages, best first (ties by index order)."""
    by_row = {r.passage.row: r for r in results}
    sentences = version.sentences(list(by_row))
    if not sentences:
        return []
    dense = version.sentence_vectors([s.row for s in sentences]) @ query_vector
    weights = {t: version.keywords.idf(t) for t in set(version.keywords.terms(question))}
    total = sum(weights.values()) or 1.0
    question_words = version.keywords.words(question)
    content = set(weights)
    candidates = []
    previous_terms: set[str] = set()
    previous_passage = -1
    for sentence, cosine in zip(sentences, dense, strict=True):
        text = by_row[sentence.passage_row].passage.text[sentence.start : sentence.end]
        terms = set(version.keywords.terms(text))
        if sentence.passage_row != previous_passage:
            previous_terms = _preceding_terms(version, by_row[sentence.passage_row])
        coverage = sum(weights.get(t, 0.0) for t in terms) / total
        in_context = sum(weights.get(t, 0.0) for t in terms | previous_terms) / total
        coverage += CONTEXT_WEIGHT * (in_context - coverage)
        run = shared_run(question_words, version.keywords.words(text), content)
        score = float(cosine) + COVERAGE_WEIGHT * coverage + PHRASE_WEIGHT * min(max(run - 1, 0), 3) / 3
        candidates.append(
            Candidate(
                by_row[sentence.passage_row], sentence.row, sentence.start, sentence.end, float(cosine), coverage, score
            )
        )
        previous_terms, previous_passage = terms, sentence.passage_row
    return sorted(candidates, key=lambda c: (-c.score, c.sentence_row))


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


def _preceding_terms(version: IndexVersion, result: SearchResult) -> set[str]:
    """Terms of the paragraph before this one in the same article."""
    before = version.passage_before(result.passage)
    return set(version.keywords.terms(before.text)) if before else set()


def missing_names(version: IndexVersion, question: str) -> list[str]:
    """Capitalised words of the question (past its first word) that no passage contains."""
    words = re.findall(r"[\w’'-]+", question)[1:]
    names = [w for w in words if w[:1].isupper() and len(w) > 2]
    return [w for w in names if _unknown(version, w)]


def _unknown(version: IndexVersion, word: str) -> bool:
    """A word with indexable terms, none of which any passage holds (stop words are never unknown)."""
    terms = version.keywords.terms(word)
    return bool(terms) and not any(version.keywords.knows(t) for t in terms)


def draft(version: IndexVersion, question: str, query_vector: np.ndarray, results: Sequence[SearchResult]) -> Draft:
    candidates = score_candidates(version, question, query_vector, results)
    missing = missing_names(version, question)
    related = _best_per_passage(candidates)[:3]
    if missing or not candidates or candidates[0].score < ANSWER_THRESHOLD:
        return Draft([], False, missing, related)
    vectors = dict(
        zip(
            [c.sentence_row for c in candidates],
            version.sentence_vectors([c.sentence_row for c in candidates]),
            strict=True,
        )
    )
    sides = _conflicting(question, candidates, vectors, version)
    if sides:
        return Draft([Statement(trim(c.text), [c]) for c in sides], True, [], related)
    return Draft(_select(candidates, vectors, version, question), False, [], related)


def _select(
    candidates: list[Candidate], vectors: dict[int, np.ndarray], version: IndexVersion, question: str
) -> list[Statement]:
    """Best sentence first, then close runners-up that add a new fact; restatements corroborate."""
    best = candidates[0].score
    chosen: list[Candidate] = []
    for candidate in candidates:
        if len(chosen) == MAX_SENTENCES or candidate.score < best - EXTRA_SENTENCE_MARGIN:
            break
        if all(vectors[candidate.sentence_row] @ vectors[c.sentence_row] < NEW_FACT_SIMILARITY for c in chosen):
            chosen.append(candidate)
    question_terms = set(version.keywords.terms(question))
    statements = []
    for lead in chosen:
        support = [lead]
        new_terms = set(version.keywords.terms(lead.text)) - question_terms
        for other in candidates:
            if other.result.passage.article_id in {c.result.passage.article_id for c in support}:
                continue
            if vectors[lead.sentence_row] @ vectors[other.sentence_row] < SAME_FACT_SIMILARITY:
                continue
            if _shared(new_terms, set(version.keywords.terms(other.text)), version) < SAME_FACT_SHARE:
                continue
            if not claim_of(lead.text).figures.isdisjoint(claim_of(other.text).figures) or not (
                claim_of(lead.text).figures and claim_of(other.text).figures
            ):
                support.append(other)
        statements.append(Statement(trim(lead.text), support))
    return statements


def _shared(terms: set[str], other: set[str], version: IndexVersion) -> float:
    """Idf-weighted share of `terms` that `other` also has."""
    total = sum(version.keywords.idf(t) for t in terms)
    return sum(version.keywords.idf(t) for t in terms & other) / total if total else 1.0


def _conflicting(
    question: str, candidates: list[Candidate], vectors: dict[int, np.ndarray], version: IndexVersion
) -> list[Candidate]:
    """Up to three relevant sentences from different articles that contradict each other, or none.

    Different figures within one article count different things, not a disagreement."""
    floor = max(ANSWER_THRESHOLD, candidates[0].score - CONFLICT_MARGIN)
    relevant = [c for c in candidates if c.score >= floor and c.coverage >= CONFLICT_MIN_COVERAGE]
    question_terms = set(version.keywords.terms(question))

    def asked(word: str) -> bool:
        return bool(question_terms & set(version.keywords.terms(word)))

    sides: list[Candidate] = []
    for candidate in relevant:
        vector = vectors[candidate.sentence_row]
        if any(vector @ vectors[s.sentence_row] < SAME_POINT_SIMILARITY for s in sides):
            continue
        if any(s.result.passage.article_id == candidate.result.passage.article_id for s in sides):
            continue
        if not sides or any(disagree(question, s.text, candidate.text, asked) for s in sides):
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
