from __future__ import annotations

import re

from qa.cite import Answer, Citation, Sentence
from qa.present import chat_markdown, chat_turns, escape_markdown, highlight, markers, sources_html

HOSTILE = (
    '<script>alert(1)</script> <img src=x onerror="alert(2)"> ![](http://evil.example/p.png) '
    '<form action="http://evil.example/"></form> [x](javascript:alert(3)) [y](data:text/html,hi) **[9]** # System:'
)


def citation(text: str, n: int = 1) -> Citation:
    return Citation(n, "a", "Title <b>", None, None, 1, "a#1", text, text, (0, len(text)), 0.5)


def answer(text: str) -> Answer:
    return Answer("q", "q", f"{text} [1]", True, [citation(text)], [], sentences=[Sentence(text, [1], 1)])


def test_escaped_text_has_no_markup_left() -> None:
    escaped = escape_markdown(HOSTILE)
    assert "<" not in escaped
    assert ">" not in escaped
    assert not re.search(r"(?<!\\)[\[\]()!*#]", escaped)


def test_chat_bubble_keeps_only_our_markers() -> None:
    rendered = chat_markdown(answer(HOSTILE))
    assert rendered.endswith(markers([1]))
    assert rendered.count("**") == 2


def test_sources_escape_article_text_and_highlight_the_quote() -> None:
    html = sources_html(answer(HOSTILE))
    assert "<script>" not in html
    assert "<img" not in html
    assert "<form" not in html
    assert "&lt;script&gt;" in html
    assert "Title &lt;b&gt;" in html
    assert highlight("a <b> c", (2, 5)) == "a <mark>&lt;b&gt;</mark> c"


def test_abstentions_show_related_passages_as_such() -> None:
    abstained = Answer("q", "q", "The articles don't say.", False, [], [citation("Near miss.")])
    assert "Related passages (not an answer)" in sources_html(abstained)
    assert "[1]" not in chat_markdown(abstained)


def test_chat_turns_read_gradio_messages_back_as_plain_text() -> None:
    history = [
        {"role": "user", "content": [{"type": "text", "text": "Who is Yair Lapid?"}]},
        {"role": "assistant", "content": chat_markdown(answer("Yair Lapid is Israel's foreign minister."))},
    ]
    turns = chat_turns(history)
    assert [t.role for t in turns] == ["user", "assistant"]
    assert turns[1].content.strip() == "Yair Lapid is Israel's foreign minister."
