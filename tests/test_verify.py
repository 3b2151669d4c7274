from __future__ import annotations

from qa.index.keywords import KeywordIndex
from qa.verify import coverage, quote_matches, supports

PARAGRAPH = "Local police said at least twelve people were killed in the flooding. Schools stay closed."
KEYWORDS = KeywordIndex.build(
    [PARAGRAPH, "The storm destroyed the old harbour bridge.", "Mayor Ellen Brooks promised to rebuild."]
)


def test_quote_must_sit_at_its_span() -> None:
    quote = "Schools stay closed."
    start = PARAGRAPH.index(quote)
    assert quote_matches(PARAGRAPH, quote, (start, start + len(quote)))
    assert not quote_matches(PARAGRAPH, quote, (0, len(quote)))
    assert not quote_matches(PARAGRAPH, "", (0, 0))


def test_coverage_weighs_rare_words() -> None:
    assert coverage("Twelve people were killed in the flooding.", PARAGRAPH, KEYWORDS) == 1.0
    assert coverage("Ellen Brooks promised to rebuild the bridge.", PARAGRAPH, KEYWORDS) == 0.0
    assert coverage("the of and", PARAGRAPH, KEYWORDS) == 1.0


def test_a_paragraph_that_does_not_state_the_sentence_does_not_support_it() -> None:
    quote = "Schools stay closed."
    span = (PARAGRAPH.index(quote), PARAGRAPH.index(quote) + len(quote))
    assert supports("Schools stay closed.", PARAGRAPH, quote, span, KEYWORDS)
    assert not supports("Ellen Brooks promised to rebuild the bridge.", PARAGRAPH, quote, span, KEYWORDS)
