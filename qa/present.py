"""Render answers, sources and articles for the browser, with every article word escaped.

Article text is untrusted: a scraped page can hold `<script>`, `<img onerror=…>`, remote
images, forms, `javascript:` links, or Markdown that imitates our citation markers. Gradio's
chat sanitizer removes scripts but keeps remote images and forms, so everything that came
from an article is escaped here, on our side, before it reaches a Markdown or HTML component.
Our own markup (markers, highlights) is added only after escaping.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from datetime import datetime

from qa.cite import CONFLICT_NOTE, Answer, Citation, agreement_note, lead_span
from qa.engine import ArticleView, Context, SearchResponse, Status
from qa.index.format import ArticleRecord
from qa.index.indexer import SyncReport
from qa.saved import SavedConversation
from qa.settings import Settings

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:>\"'=$])")


def escape_markdown(text: str) -> str:
    """Text that Markdown shows literally: HTML entities for <, > and &, a backslash before
    every other character Markdown or its extensions give meaning to, and no line breaks
    (a line break could start a heading, a list or a fake message)."""
    flat = " ".join(text.split())
    escaped = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)


CITE_LINK = "#cite-"
"""Markers link to `#cite-<turn>-<n>`; the page's script (app.py) opens that source."""


def markers(numbers: Sequence[int], turn: int = 0, quotes: dict[int, str] | None = None) -> str:
    """Citation markers as only we can write them: bold links, which escaped article text
    cannot be. Each links to its source and shows the quote on hover (the link's title)."""
    quotes = quotes or {}
    links = []
    for n in numbers:
        title = _link_title(quotes.get(n, f"Source {n}"))
        links.append(f'[\\[{n}\\]]({CITE_LINK}{turn}-{n} "{title}")')
    return "**" + "".join(links) + "**"


def _link_title(text: str) -> str:
    """A quote as a Markdown link title: one line, no quote marks or backslashes to break out of it."""
    flat = " ".join(text.split()).replace("\\", "/").replace('"', "'")
    return html.escape(flat if len(flat) <= 300 else flat[:299] + "…", quote=False)


def chat_markdown(answer: Answer, turn: int = 0) -> str:
    """The answer for a chat bubble: a note of what was searched for when the question was
    rewritten from the conversation, escaped sentences, our markers, agreement notes."""
    searched = (
        f"*Searched for: {escape_markdown(answer.searched_for)}*  \n" if answer.searched_for != answer.question else ""
    )
    return searched + _answer_markdown(answer, turn)


def _answer_markdown(answer: Answer, turn: int) -> str:
    if not answer.answered:
        return escape_markdown(answer.answer)
    quotes = {c.n: c.quote for c in answer.citations}
    if answer.conflict:
        parts = [f"*{CONFLICT_NOTE}*"]
    else:
        parts = [f"**{escape_markdown(span)}**" for span in lead_span(answer.sentences)]
    for sentence in answer.sentences:
        note = agreement_note(sentence.agreeing)
        parts.append(
            f"{escape_markdown(sentence.text)} {markers(sentence.cites, turn, quotes)}"
            + (f" {escape_markdown(note)}" if note else "")
        )
    return " ".join(parts)


def sources_html(answer: Answer, show_scores: bool = False, chosen: int | None = None) -> str:
    """Cards for the cited paragraphs, quotes highlighted (source `chosen` outlined); for an
    abstention, the related passages, styled apart, under a heading that says they are not
    an answer."""
    if answer.answered:
        heading = "Sources"
        cards = answer.citations
    else:
        heading = "Related passages (not an answer)"
        cards = answer.related
    if not cards:
        return '<div class="qa-sources"><p>No passages.</p></div>'
    agree = {n: s.agreeing for s in answer.sentences for n in s.cites}
    body = "".join(_card(c, show_scores, agree.get(c.n, 1), answer.answered, c.n == chosen) for c in cards)
    return f'<div class="qa-sources"><h2>{heading}</h2>{body}</div>'


def _card(citation: Citation, show_scores: bool, agreeing: int, cited: bool, chosen: bool) -> str:
    label = f"[{citation.n}]" if cited else f"Related {citation.n}"
    meta = [citation.source, citation.date, citation.place, citation.article_id]
    if cited and agreeing > 1:
        meta.append(f"{agreeing} sources agree")
    if show_scores:
        meta.append(f"score {citation.score:.3f}")
    css = " ".join(["qa-source" if cited else "qa-source qa-related", "qa-chosen" if chosen else ""]).strip()
    return (
        f'<div class="{css}" data-n="{citation.n}">'
        f'<div class="qa-source-head"><b>{html.escape(label)}</b> {html.escape(citation.title)}</div>'
        f'<div class="qa-meta">{html.escape(" · ".join(m for m in meta if m))}</div>'
        f'<p class="qa-text">{highlight(citation.text, citation.span, "" if cited else "qa-near")}</p></div>'
    )


def highlight(text: str, span: tuple[int, int], css: str = "") -> str:
    start, end = span
    mark = f'<mark class="{css}">' if css else "<mark>"
    return f"{html.escape(text[:start])}{mark}{html.escape(text[start:end])}</mark>{html.escape(text[end:])}"


def context_html(context: Context, quote_span: tuple[int, int] | None = None) -> str:
    """The cited paragraph among its neighbours, the cited one marked and its quote highlighted."""
    article = context.article
    meta = " · ".join(m for m in (article.source, article.date, article.article_id) if m)
    rows = []
    for i, passage in enumerate(context.passages):
        focus = i == context.focus
        text = highlight(passage.text, quote_span) if focus and quote_span else html.escape(passage.text)
        css = "qa-para qa-focus" if focus else "qa-para"
        rows.append(f'<p class="{css}"><span class="qa-pnum">{passage.place}</span> {text}</p>')
    return (
        f'<div class="qa-context"><h3>{html.escape(article.display_title)}</h3>'
        f'<div class="qa-meta">{html.escape(meta)}</div>{"".join(rows)}</div>'
    )


def article_html(view: ArticleView, show_dropped: bool = False) -> str:
    """A whole article as indexed: its details, every paragraph with its number (and page),
    and, on request, the lines cleaning dropped with the reason for each."""
    article = view.article
    meta = " · ".join(m for m in (article.source, article.date, article.article_id, article.path) if m)
    parts: dict[int, list[str]] = {}
    for p in view.passages:
        parts.setdefault(p.paragraph, []).append(p.text)
    rows = [
        f'<p class="qa-para"><span class="qa-pnum">{p.place}</span> {html.escape(" ".join(parts[p.paragraph]))}</p>'
        for p in view.passages
        if p.part == 1
    ]
    dropped = ""
    if show_dropped and view.dropped:
        items = "".join(
            f"<li><span class='qa-pnum'>line {d.position}</span> "
            f"<b>{html.escape(d.reason)}</b>: {html.escape(d.text)}</li>"
            for d in view.dropped
        )
        dropped = f"<h4>Dropped while cleaning ({len(view.dropped)})</h4><ul class='qa-dropped'>{items}</ul>"
    elif show_dropped:
        dropped = "<p class='qa-meta'>Cleaning dropped nothing from this article.</p>"
    return (
        f'<div class="qa-context"><h3>{html.escape(article.display_title)}</h3>'
        f'<div class="qa-meta">{html.escape(meta)}</div>{"".join(rows)}{dropped}</div>'
    )


def results_html(response: SearchResponse, terms: Callable[[str], Sequence[str]]) -> str:
    """Search results as cards: rank, title, where, score, and the passage with the words
    that match the query's keywords highlighted (`terms`: the index's stemmer, which also
    drops stop words, so "strikes" marks "strike" and "the" marks nothing)."""
    if not response.results:
        return f"<p>No passages match {html.escape(response.query)}.</p>"
    wanted = set(terms(response.searched_for))

    def matches(word: str) -> bool:
        return bool(wanted & set(terms(word)))

    cards = []
    for rank, r in enumerate(response.results, start=1):
        meta = [r.passage.place, r.passage.article_id, f"score {r.score:.2f}"]
        text = "".join(
            f"<mark>{html.escape(piece)}</mark>" if matches(piece) else html.escape(piece)
            for piece in re.split(r"([\w’'-]+)", r.passage.text)
        )
        cards.append(
            f'<div class="qa-source"><div class="qa-source-head"><b>{rank}.</b> {html.escape(r.title)}</div>'
            f'<div class="qa-meta">{html.escape(" · ".join(meta))}</div><p class="qa-text">{text}</p></div>'
        )
    return f'<div class="qa-sources"><h2>Passages</h2>{"".join(cards)}</div>'


def source_choices(answer: Answer) -> list[tuple[str, str]]:
    """(label, passage id) pairs for picking a source to read in context."""
    cards = answer.citations if answer.answered else answer.related
    prefix = "" if answer.answered else "related "
    return [(_shorten(f"{prefix}[{c.n}] {c.title} {c.place}"), c.passage_id) for c in cards]


def _shorten(label: str, limit: int = 90) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def saved_choice(conversation: SavedConversation) -> str:
    """A saved conversation in the list: its name, when it was last used, how many answers."""
    turns = f"{conversation.turns} answer{'s' if conversation.turns != 1 else ''}"
    return f"{_shorten(conversation.title, 60)} · {_when(conversation.updated)} · {turns}"


def article_choice(article: ArticleRecord) -> str:
    """An article as a filter choice: its title, shortened, and its id."""
    return f"{_shorten(article.display_title, 60)} ({article.article_id})"


def articles_rows(status: Status) -> list[list[str | int]]:
    """Rows for the articles table: id, title, source, date, paragraphs, indexed."""
    return [
        [a.article_id, a.display_title, a.source or "", a.date or "", a.paragraphs, _when(a.indexed_at)]
        for a in status.articles
    ]


def status_markdown(status: Status) -> str:
    size = _size(status.index_bytes)
    return escape_markdown(
        f"{len(status.articles)} articles, {status.passages} passages; model {status.model}; index {size}"
    )


def _when(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def _size(n: float) -> str:
    units = ("bytes", "KB", "MB", "GB")
    step = 0
    while n >= 1024 and step < len(units) - 1:
        n /= 1024
        step += 1
    return f"{n:.0f} bytes" if step == 0 else f"{n:.1f} {units[step]}"


def format_report(report: SyncReport, settings: Settings) -> str:
    """What a rebuild did, for the terminal and the app."""
    lines = []
    if report.rebuild_reason:
        lines.append(f"note: {report.rebuild_reason}")
    if report.up_to_date:
        lines.append(
            f"Index {settings.index_dir} is up to date: {report.unchanged} articles, "
            f"{report.passages} paragraphs; nothing embedded ({report.seconds:.1f} s)"
        )
    else:
        lines.append(
            f"Indexed {settings.corpus_dir} into {settings.index_dir} with {settings.model} in {report.seconds:.1f} s"
        )
        lines.append(
            f"  articles: {len(report.added)} added, {len(report.changed)} changed, "
            f"{len(report.removed)} removed, {report.unchanged} unchanged"
        )
        if report.delta_passages is None:
            lines.append(f"  passages: {report.passages} in the index, with {report.sentences} sentences")
        else:
            lines.append(
                f"  passages: {report.passages} in the index; {report.delta_passages} from the new or changed "
                f"articles, the others left as they were"
            )
        lines.append(f"  vectors: {report.embedded} embedded; the others were known from earlier runs")
        for label, ids in (("added", report.added), ("changed", report.changed), ("removed", report.removed)):
            lines.extend(f"  {label}: {article_id}" for article_id in ids)
    lines.extend(f"  skipped {s.path}: {s.reason}" for s in report.skipped)
    lines.extend(
        f"  near-duplicate: {d.article_id} repeats {d.share:.0%} of its paragraphs from {d.of}; both stay indexed"
        for d in report.near_duplicates
    )
    return "\n".join(lines)
