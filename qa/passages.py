"""Cut articles into passages: one per paragraph, long paragraphs split at sentence ends."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from qa.articles import Article
from qa.sentences import split_sentences

MAX_WORDS = 150
"""all-MiniLM-L6-v2 reads 256 word pieces; news English averages about 1.3 per word."""


@dataclass(frozen=True)
class Passage:
    """The unit that is embedded, searched and cited."""

    article_id: str
    paragraph: int
    text: str
    part: int = 1
    parts: int = 1
    page: int | None = None
    """The page the paragraph is on, for a PDF."""

    @property
    def passage_id(self) -> str:
        """Stable across rebuilds: it depends only on this article's own paragraphs."""
        suffix = f".{self.part}" if self.parts > 1 else ""
        return f"{self.article_id}#{self.paragraph}{suffix}"

    @property
    def text_hash(self) -> str:
        return text_hash(self.text)


def place(paragraph: int, page: int | None) -> str:
    """Where a paragraph is, as citations show it: "p. 3 ¶12" in a PDF, "¶12" elsewhere."""
    return f"p. {page} ¶{paragraph}" if page else f"¶{paragraph}"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def passages_of(article: Article, max_words: int = MAX_WORDS) -> list[Passage]:
    """Paragraphs are numbered from 1 in the cleaned article, as `qa show` prints them."""
    passages: list[Passage] = []
    for number, paragraph in enumerate(article.paragraphs, start=1):
        chunks = split_long(paragraph, max_words)
        page = article.page(number)
        passages.extend(
            Passage(article.article_id, number, chunk, part, len(chunks), page)
            for part, chunk in enumerate(chunks, start=1)
        )
    return passages


def split_long(paragraph: str, max_words: int = MAX_WORDS) -> list[str]:
    """Greedy packing of whole sentences into chunks of at most `max_words` words."""
    if len(paragraph.split()) <= max_words:
        return [paragraph]
    chunks: list[list[str]] = [[]]
    for sentence in split_sentences(paragraph):
        words = sentence.text.split()
        while len(words) > max_words:
            chunks.append(words[:max_words])
            words = words[max_words:]
        if len(chunks[-1]) + len(words) > max_words:
            chunks.append([])
        chunks[-1].extend(words)
    return [" ".join(chunk) for chunk in chunks if chunk]
