"""Recognise what in a scraped article is not reporting: site chrome, boilerplate, bylines.

Each rule is a general pattern with a name; `qa show ID --dropped` prints the name.
Rules only ever match whole paragraphs that are short, so a news paragraph that happens
to mention a newsletter or a copyright is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

_I = re.IGNORECASE
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = rf"(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
_DATE_FORMATS = ("%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d")
_AGENCIES = r"(?:REUTERS|Reuters|AFP|AP|EPA|Getty Images|Xinhua|Anadolu|Shutterstock|Bloomberg)"


@dataclass(frozen=True)
class Rule:
    """A paragraph matching `pattern` in full, with at most `max_words` words, is dropped."""

    name: str
    pattern: re.Pattern[str]
    max_words: int = 40

    def matches(self, paragraph: str) -> bool:
        return len(paragraph.split()) <= self.max_words and bool(self.pattern.fullmatch(paragraph))


def _rule(name: str, pattern: str, max_words: int = 40, flags: int = _I) -> Rule:
    return Rule(name, re.compile(pattern, flags), max_words)


RULES: tuple[Rule, ...] = (
    _rule(
        "site chrome",
        r"skip to (?:main )?content|(?:home|news)\s*[»›>|/].*|menu|search"
        r"|advertisement|share(?: this(?: article)?)?:?|print|related(?: articles| posts)?:?",
        12,
    ),
    _rule("empty byline", r"[•·|–—\-\s]*by[:\s]*[•·|\s]*", 4),
    _rule("read more link", r"(?:read|continue reading|read the full story)(?: more| here)?\W*", 5),
    _rule("back to top", r"back to top(?: button)?\W*", 4),
    _rule(
        "source link",
        r"source link|(?:source|via|originally published (?:at|on|by))\s*:?\s*"
        r"(?:https?://|www\.)\S.*",
        12,
    ),
    _rule(
        "comment form",
        r"leave a (?:reply|comment)|cancel reply|\d+ comments?"
        r"|your email address will not be published\b.*|required fields are marked.*",
        25,
    ),
    _rule("newsletter prompt", r".*\b(?:newsletters?|mailing list)\b.*|(?:sign up|subscribe)\b.*", 20),
    _rule(
        "copyright notice",
        r"(?:copyright|©|\(c\)).*|.*\ball rights reserved\b.*"
        r"|.*\breprinted with (?:the )?permission\b.*",
        60,
    ),
    _rule(
        "photo caption",
        rf".*(?:\b{_AGENCIES}/[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*)*"
        rf"|\(\s*{_AGENCIES}(?: Photo)?[^)]*\)|\b(?:AP|AFP) Photo/.*"
        rf"|\b(?i:photo|image|picture|credit)s?(?i: by)?\s*[:/]\s*[A-Z].*)\W*",
        60,
        0,
    ),
    _rule(
        "contributor line",
        r".+\bcontributed (?:reporting|to this (?:report|article|story))\W*"
        r"|(?:with )?(?:additional )?(?:reporting|writing|editing) by\b.+",
        40,
    ),
    _rule("stray fragment", r"[^.!?:\"”]+", 3),
)

_TRAILING_NOTE = re.compile(r"(?<=[.!?\"”’])\s+((?:[A-Z][A-Z'’]+\b\s*){1,3})$")
_GLUED_SENTENCE = re.compile(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])")
_BYLINE = re.compile(rf"by\s+(?P<source>.+?)(?:[\s,|–—-]+(?P<date>{_DATE}))?", _I)
_DATE_LINE = re.compile(
    rf"(?:(?:published|updated|posted)\s*(?:on)?:?\s*)?(?P<date>{_DATE})"
    r"(?:[\s,]+\d{1,2}:\d{2}.*)?",
    _I,
)


def match_rule(paragraph: str) -> Rule | None:
    """The first boilerplate rule that matches the paragraph, if any."""
    return next((rule for rule in RULES if rule.matches(paragraph)), None)


def strip_trailing_note(paragraph: str) -> tuple[str, str | None]:
    """Split off an all-caps editor's note after the last sentence ("... said. JEFF OK'D")."""
    match = _TRAILING_NOTE.search(paragraph)
    if not match or len(match.group(1)) > 24:
        return paragraph, None
    return paragraph[: match.start()].rstrip(), match.group(1).strip()


def repair_spacing(paragraph: str) -> str:
    """Put back the space a scrape lost between sentences ("Kirby added.The United States")."""
    return _GLUED_SENTENCE.sub(" ", paragraph)


@dataclass(frozen=True)
class Byline:
    source: str | None
    date: str | None


def parse_byline(paragraph: str) -> Byline | None:
    """Read "By RFE/RL June 27, 2021", "By Jane Doe" or a bare date line, if that is all it is."""
    if len(paragraph.split()) > 10:
        return None
    if match := _DATE_LINE.fullmatch(paragraph):
        return Byline(None, parse_date(match.group("date")))
    if match := _BYLINE.fullmatch(paragraph):
        source = match.group("source").strip(" ,|–—-")
        date = parse_date(match.group("date")) if match.group("date") else None
        return Byline(source or None, date)
    return None


def parse_date(text: str) -> str | None:
    """ISO date (YYYY-MM-DD) from the formats news sites print, or None."""
    cleaned = re.sub(r"[.,]", " ", text)
    cleaned = re.sub(r"\bSept\b", "Sep", " ".join(cleaned.split()))
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    return None
