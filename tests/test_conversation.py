from __future__ import annotations

import json

from qa.cite import Answer, Citation, Sentence
from qa.conversation import conversation_text, markdown, plain_text, to_json


def citation(n: int, quote: str) -> Citation:
    text = f"Before. {quote} After."
    start = text.index(quote)
    return Citation(
        n,
        f"art{n}",
        f"Title *{n}*",
        "Reuters",
        "2021-06-28",
        3,
        f"art{n}#3",
        text,
        quote,
        (start, start + len(quote)),
        0.5,
    )


def answer(question: str = "Which aircraft?", searched_for: str | None = None) -> Answer:
    quotes = ["F-15 and F-16 aircraft struck [x](javascript:alert(1)).", "F-16 jets flew."]
    cites = [citation(1, quotes[0]), citation(2, quotes[1])]
    return Answer(
        question,
        searched_for or question,
        f"{quotes[0]} [1][2] (2 sources agree)",
        True,
        cites,
        [],
        sentences=[Sentence(quotes[0], [1, 2], 2)],
    )


def test_plain_text_has_markers_then_numbered_sources_without_markup() -> None:
    text = plain_text(answer())
    body, sources = text.split("\n\nSources:\n")
    assert body.endswith("[1][2] (2 sources agree)")
    assert sources.splitlines()[1] == "[2] Title *2* (Reuters, 2021-06-28, art2 ¶3): “F-16 jets flew.”"
    assert "\\" not in text


def test_conversation_text_keeps_each_answers_sources_and_the_rewrite() -> None:
    text = conversation_text([answer(), answer("What did he say?", "What did Kirby say?")])
    assert text.count("Sources:") == 2
    assert "Q: What did he say?\n" in text
    assert "(Searched for: What did Kirby say?)" in text


def test_markdown_escapes_article_text_and_keeps_our_markers() -> None:
    document = markdown([answer()])
    assert document.startswith("# corpus-qa conversation\n\n## Which aircraft?\n")
    assert "struck \\[x\\](javascript:alert(1)). [1][2] (2 sources agree)" in document
    assert "1. **Title \\*1\\*** — Reuters, 2021-06-28, `art1` ¶3" in document
    assert "   > F-16 jets flew." in document


def test_json_is_the_ask_json_objects_in_a_list() -> None:
    data = json.loads(to_json([answer(), answer()]))
    assert len(data) == 2
    assert data[0]["citations"][1]["span"] == list(answer().citations[1].span)
