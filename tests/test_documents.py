from __future__ import annotations

from pathlib import Path

import pytest

from qa.articles import scan_corpus
from qa.documents import kind_of
from qa.engine import Engine
from qa.reader import UnreadableArticle, read_article
from tests.conftest import write
from tests.documents import make_docx, make_pdf

REPORT = [
    ["Port authority bulletin", "The grain convoy left Tartus at dawn under naval escort."],
    ["Officials said the ships reached Latakia by noon.", "Harbour master Omar Haddad counted eleven vessels."],
]


def test_kind_is_told_by_content() -> None:
    assert kind_of(make_pdf(REPORT)) == "pdf"
    assert kind_of(make_docx("Ferry", ["Divers found a ferry."])) == "docx"
    assert kind_of(b"PK\x03\x04 not really a zip") is None
    assert kind_of(b"Plain text about %PDF-1.4 later on") is None


def test_pdf_paragraphs_keep_their_pages(tmp_path: Path) -> None:
    raw = read_article(write(tmp_path, "bulletin.pdf", make_pdf(REPORT, title="Port news")))
    assert raw.title == "Port news"
    assert raw.pages == [1, 1, 2, 2]
    assert raw.paragraphs[3] == "Harbour master Omar Haddad counted eleven vessels."


def test_a_pdf_named_txt_is_read_as_pdf_and_a_fake_pdf_is_refused(tmp_path: Path) -> None:
    raw = read_article(write(tmp_path, "renamed.txt", make_pdf(REPORT)))
    assert "Omar Haddad" in raw.paragraphs[3]
    assert not any("obj" in p or "endstream" in p for p in raw.paragraphs)
    with pytest.raises(UnreadableArticle, match=r"named \.pdf but it is not a PDF file"):
        read_article(write(tmp_path, "fake.pdf", "just text"))


def test_a_scan_without_text_is_refused_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(UnreadableArticle, match=r"no text layer .*OCR"):
        read_article(write(tmp_path, "scan.pdf", make_pdf([[], []])))


def test_docx_title_and_paragraphs(tmp_path: Path) -> None:
    document = make_docx("Ferry found", ["Divers found a sunken ferry near Basra.", "It sank in 1990."])
    raw = read_article(write(tmp_path, "ferry.docx", document))
    assert raw.title == "Ferry found"
    assert raw.paragraphs == ["Divers found a sunken ferry near Basra.", "It sank in 1990."]
    assert raw.pages is None


def test_a_pdf_answer_cites_its_page(corpus: Path, make_engine) -> None:
    write(corpus, "bulletin.pdf", make_pdf(REPORT, title="Port news"))
    write(corpus, "other.txt", "Weather\n\nRain fell over Damascus on Monday, forecasters said.\n")
    assert [a.pages for a in scan_corpus(corpus).articles if a.article_id == "bulletin"] == [(1, 2, 2)]
    engine: Engine = make_engine(corpus)
    answer = engine.ask("Who counted the vessels?")
    (citation,) = [c for c in answer.citations if c.article_id == "bulletin"]
    assert citation.page == 2
    assert citation.place == "p. 2 ¶3"
    assert answer.to_dict()["citations"][0]["page"] == 2
