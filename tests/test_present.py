from __future__ import annotations

import re

from qa.articles import Dropped
from qa.cite import Answer, Citation, Sentence
from qa.engine import ArticleView, SearchResponse
from qa.index.format import ArticleRecord, PassageRecord
from qa.present import (
    article_html,
    chat_markdown,
    escape_markdown,
    highlight,
    markers,
    results_html,
    sources_html,
)
from qa.retrieval import SearchResult

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
    rendered = chat_markdown(answer(HOSTILE), turn=4)
    ours = markers([1], 4, {1: HOSTILE})
    assert rendered.endswith(ours)
    assert "**" not in rendered[: -len(ours)]
    assert '(#cite-4-1 "' in ours
    assert '"' not in ours.split('"', 1)[1][:-4]


def test_marker_titles_show_the_quote_on_one_line() -> None:
    assert "\"He said 'no' / then\"" in markers([2], 1, {2: 'He said "no" \\ then'})
    assert markers([2], 1, {2: 'He said "no"\nthen'}) == "**[\\[2\\]](#cite-1-2 \"He said 'no' then\")**"


def test_a_rewritten_question_says_what_was_searched_for() -> None:
    rewritten = Answer("What did he say?", "What did Kirby say?", "x [1]", True, [citation("x")], [])
    assert chat_markdown(rewritten).startswith("*Searched for: What did Kirby say?*")
    assert "Searched for" not in chat_markdown(answer("x"))


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
    assert 'class="qa-source qa-related"' in sources_html(abstained)
    assert '<mark class="qa-near">' in sources_html(abstained)
    assert "[1]" not in chat_markdown(abstained)


def test_article_view_escapes_text_and_shows_dropped_lines_on_request() -> None:
    record = ArticleRecord("a", "a.txt", None, "Title <b>", "SANA", "2021-06-28", 1, "h", "2026-01-01")
    passages = [
        PassageRecord(0, "a#1", "a", 1, 1, 2, "<script>x</script> first", 3),
        PassageRecord(1, "a#1.2", "a", 1, 2, 2, "second part.", 3),
    ]
    view = ArticleView(record, passages, [Dropped(1, "Skip to content", "navigation")])
    shown = article_html(view)
    assert "p. 3 ¶1" in shown
    assert "&lt;script&gt;x&lt;/script&gt; first second part." in shown
    assert "Skip to content" not in shown
    assert "<b>navigation</b>: Skip to content" in article_html(view, show_dropped=True)


def test_search_results_mark_the_query_words_by_stem() -> None:
    passage = PassageRecord(0, "a#2", "a", 2, 1, 1, "The strike hit <three> sites.")
    response = SearchResponse("strikes", "strikes", [SearchResult(passage, "T", 1.0, 0.5, 2.0)])
    shown = results_html(response, lambda text: [w.lower().rstrip("s") for w in re.findall(r"\w+", text)])
    assert "The <mark>strike</mark> hit &lt;three&gt; sites." in shown
