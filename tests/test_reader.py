from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from qa.reader import MAX_FILE_BYTES, UnreadableArticle, decode, normalize_space, read_article, split_paragraphs
from tests.conftest import write


def test_txt_one_paragraph_per_line_even_without_blank_lines(corpus: Path) -> None:
    path = write(corpus, "a.txt", "First line.\nSecond line.\n\nThird line.\n")
    assert read_article(path).paragraphs == ["First line.", "Second line.", "Third line."]


def test_hard_wrapped_prose_is_joined() -> None:
    text = (
        "The U.S. military carried out air strikes against militias in the\n"
        "border area, officials said on Sunday.\n\nNext paragraph."
    )
    assert split_paragraphs(text) == [
        "The U.S. military carried out air strikes against militias in the border area, officials said on Sunday.",
        "Next paragraph.",
    ]


def test_short_lines_without_full_stop_stay_separate() -> None:
    assert split_paragraphs("Skip to content\nHome » News\nHeadline here") == [
        "Skip to content",
        "Home » News",
        "Headline here",
    ]


def test_exotic_spaces_are_folded() -> None:
    assert normalize_space("WASHINGTON\u00a0 –\u200b The  U.S.\t") == "WASHINGTON – The U.S."


def test_markdown_heading_is_title_and_markup_is_removed(corpus: Path) -> None:
    path = write(
        corpus,
        "a.md",
        "# Strikes in Syria\n\nThe **Pentagon** said [in a statement](http://x.test) that it hit `three` sites.\n\n"
        "![photo](http://img.test/a.png)\n\n- A list item with text.\n",
    )
    raw = read_article(path)
    assert raw.title == "Strikes in Syria"
    assert raw.paragraphs == ["The Pentagon said in a statement that it hit three sites.", "A list item with text."]


def test_html_goes_through_main_text_extraction(corpus: Path) -> None:
    html = """<html><head><title>Strikes - The Daily</title><meta property="og:site_name" content="The Daily">
    <meta name="date" content="2021-06-27"></head><body><nav><a href="/">Home</a> » <a>World</a></nav>
    <article><h1>Strikes hit militia sites</h1>
    <p>The United States carried out airstrikes on Sunday against facilities used by militias in Syria.</p>
    <p>Officials said the pilots returned safely and that the targets were hit as intended.</p></article>
    <script>alert(1)</script><footer>All rights reserved.</footer></body></html>"""
    raw = read_article(write(corpus, "a.html", html))
    assert raw.title == "Strikes hit militia sites"
    assert raw.source == "The Daily"
    assert raw.date == "2021-06-27"
    assert any("carried out airstrikes" in p for p in raw.paragraphs)
    assert not any("alert" in p or "Home" in p for p in raw.paragraphs)


def test_utf8_bom_and_utf16_bom_decode() -> None:
    assert decode(codecs.BOM_UTF8 + "Café said.".encode())[0] == "Café said."
    assert decode("Café said.".encode("utf-16"))[0] == "Café said."


def test_cp1252_is_detected() -> None:
    text, encoding = decode("“Quoted” café résumé — naïve, said the official.".encode("cp1252"))
    assert "café" in text
    assert "“Quoted”" in text
    assert encoding != "utf-8"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"  \n\t\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (bytes(range(1, 32)) * 20, "binary"),
    ],
)
def test_empty_and_binary_data_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(UnreadableArticle, match=reason):
        decode(data)


def test_unsupported_suffix_and_oversized_file_are_refused(corpus: Path) -> None:
    with pytest.raises(UnreadableArticle, match=r"unsupported file type \.rtf"):
        read_article(write(corpus, "a.rtf", "text"))
    big = write(corpus, "big.txt", "")
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(UnreadableArticle, match="limit"):
        read_article(big)


def test_html_without_main_text_is_refused(corpus: Path) -> None:
    with pytest.raises(UnreadableArticle, match="no main text"):
        read_article(write(corpus, "a.html", "<html><head><title>x</title></head><body></body></html>"))
