from __future__ import annotations

from qa.articles import Article
from qa.passages import Passage, passages_of, split_long


def article(article_id: str, *paragraphs: str) -> Article:
    return Article(article_id, f"{article_id}.txt", "Title", None, None, paragraphs)


def test_one_passage_per_paragraph_numbered_from_one() -> None:
    passages = passages_of(article("a", "First paragraph.", "Second paragraph."))
    assert [(p.passage_id, p.paragraph, p.text) for p in passages] == [
        ("a#1", 1, "First paragraph."),
        ("a#2", 2, "Second paragraph."),
    ]


def test_long_paragraph_is_split_at_sentence_ends() -> None:
    sentence = "The strikes hit three sites near the border, officials said."
    paragraph = " ".join([sentence] * 12)
    passages = passages_of(article("a", "Short.", paragraph), max_words=30)
    parts = [p for p in passages if p.paragraph == 2]
    assert len(parts) > 1
    assert [p.passage_id for p in parts] == [f"a#2.{i}" for i in range(1, len(parts) + 1)]
    assert all(p.text.endswith("said.") and len(p.text.split()) <= 30 for p in parts)
    assert " ".join(p.text for p in parts) == paragraph


def test_a_sentence_longer_than_the_window_is_cut_by_words() -> None:
    chunks = split_long(" ".join(["word"] * 25) + ".", max_words=10)
    assert [len(c.split()) for c in chunks] == [10, 10, 5]


def test_ids_do_not_depend_on_other_articles() -> None:
    alone = passages_of(article("b", "Text of b."))
    assert alone == [Passage("b", 1, "Text of b.")]
    assert alone[0].text_hash == Passage("other", 9, "Text of b.").text_hash
