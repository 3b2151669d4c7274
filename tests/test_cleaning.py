from __future__ import annotations

import pytest

from qa.cleaning import RULES, Byline, match_rule, parse_byline, parse_date, repair_spacing, strip_trailing_note

# Each rule: lines it must drop (from the seed scrapes and their common variants).
DROPPED = {
    "site chrome": ["Skip to content", "Home » U.S. Carries Out Airstrikes in Iraq and Syria", "Advertisement"],
    "empty byline": ["• by", "By", "| by |"],
    "read more link": ["Read more...", "Read More", "Continue reading →"],
    "back to top": ["Back to top button", "Back to top"],
    "source link": [
        "Source link",
        "Source: https://www.rferl.org/a/us-strike -iran-militia-iraq-syria/31328792.html",
        "Originally published at www.example.com/story",
    ],
    "comment form": [
        "Leave a Reply",
        "Your email address will not be published. Required fields are marked *",
        "12 Comments",
    ],
    "newsletter prompt": ["NEWSLETTER", "Join the GlobalSecurity.org mailing list", "Sign up for our daily briefing"],
    "copyright notice": [
        "Copyright (c) 2021. RFE/RL, Inc. Reprinted with the permission of Radio Free Europe/Radio Liberty.",
        "© 2021 Example Media. All rights reserved.",
    ],
    "photo caption": [
        "The Pentagon building is seen in Arlington, Virginia, U.S. October 9, 2020. REUTERS/Carlos Barria",
        "The Pentagon building is seen in Arlington, Virginia, U.S. October 9, 2020. (REUTERS)",
        "Smoke rises over the border crossing. (AP Photo/Hussein Malla)",
        "Photo: Jane Doe",
    ],
    "contributor line": [
        "Jennifer Steinhauer, Julian Barnes and John Ismay contributed reporting.",
        "With reporting by AP and Reuters",
        "Reporting by Idrees Ali; Editing by Jane Doe",
    ],
    "stray fragment": ["gsg", "John Pike", "xx yy"],
}

KEPT = [
    "WASHINGTON – The U.S. military launched airstrikes against Iran-backed militias in Syria.",
    "The threat of drones is the main concern for the military",
    "The attacks achieved their intended targets, McNulty said.",
    "Two U.S. officials, speaking to Reuters on condition of anonymity, said the militias carried out attacks.",
    "The newspaper said its newsletter had reported the strikes days before the Pentagon confirmed them, "
    "citing officials in Baghdad and in Washington who had seen the plans and the list of targets in Syria.",
    "No casualties were reported.",
]


@pytest.mark.parametrize(("rule", "line"), [(rule, line) for rule, lines in DROPPED.items() for line in lines])
def test_rule_drops_boilerplate(rule: str, line: str) -> None:
    matched = match_rule(line)
    assert matched is not None, f"{line!r} was kept"
    assert matched.name == rule


def test_every_rule_has_examples() -> None:
    assert {rule.name for rule in RULES} == set(DROPPED)


@pytest.mark.parametrize("line", KEPT)
def test_reporting_is_kept(line: str) -> None:
    assert match_rule(line) is None


def test_trailing_all_caps_note_is_split_off() -> None:
    text = "It is too early to know if there were casualties, the official said. JEFF OK’D"
    assert strip_trailing_note(text) == (
        "It is too early to know if there were casualties, the official said.",
        "JEFF OK’D",
    )


def test_paragraph_without_trailing_note_is_unchanged() -> None:
    text = "The Pentagon said the strikes hit U.S.-made targets in the U.S."
    assert strip_trailing_note(text) == (text, None)


def test_glued_sentences_get_their_space_back() -> None:
    assert repair_spacing("Kirby added.The United States has troops at rferl.org") == (
        "Kirby added. The United States has troops at rferl.org"
    )


def test_byline_with_source_and_date() -> None:
    assert parse_byline("By RFE/RL June 27, 2021") == Byline("RFE/RL", "2021-06-27")


def test_byline_without_date_and_bare_date_line() -> None:
    assert parse_byline("By Jane Doe") == Byline("Jane Doe", None)
    assert parse_byline("February 26, 2021") == Byline(None, "2021-02-26")
    assert parse_byline("Published: 27 June 2021, 10:30 GMT") == Byline(None, "2021-06-27")


def test_sentences_are_not_bylines() -> None:
    assert parse_byline("By Sunday, the Pentagon had confirmed that the strikes hit all targets in Syria.") is None


@pytest.mark.parametrize(
    ("text", "iso"),
    [("June 27, 2021", "2021-06-27"), ("Sept. 3, 2020", "2020-09-03"), ("2021-02-26", "2021-02-26"), ("soon", None)],
)
def test_parse_date(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso
