"""Check, before an answer is shown, that each sentence is backed by the paragraphs it cites.

A citation stands when its quote occurs in the cited paragraph at the recorded span, and
the paragraph covers enough of the answer sentence's content words (idf-weighted, so the
names and figures that carry the claim count most). Citations that fail are dropped, and a
sentence left with none is dropped with them.
"""

from __future__ import annotations

from qa.features import Vocabulary

MIN_COVERAGE = 0.4


def quote_matches(paragraph: str, quote: str, span: tuple[int, int]) -> bool:
    return paragraph[span[0] : span[1]] == quote and bool(quote.strip())


def coverage(sentence: str, paragraph: str, keywords: Vocabulary) -> float:
    """Idf-weighted share of the sentence's content words that the paragraph contains."""
    wanted = set(keywords.terms(sentence))
    if not wanted:
        return 1.0
    present = set(keywords.terms(paragraph))
    total = sum(keywords.idf(t) for t in wanted)
    return sum(keywords.idf(t) for t in wanted & present) / total


def supports(sentence: str, paragraph: str, quote: str, span: tuple[int, int], keywords: Vocabulary) -> bool:
    return quote_matches(paragraph, quote, span) and coverage(sentence, paragraph, keywords) >= MIN_COVERAGE
