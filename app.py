"""corpus-qa in the browser: ask with follow-ups, read the cited paragraphs, manage articles.

Run with `make run` (or `python app.py --host 127.0.0.1 --port 7860`); `gradio app.py`
reload mode also works, since `demo` is a module-level Blocks. Handlers only parse, call
the engine and render; rendering (with all article text escaped) lives in qa/present.py.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import dataclasses
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from qa import conversation, library, present
from qa.access import AdminGate, OriginGuard
from qa.cite import Answer
from qa.engine import DEFAULT_PASSAGES, MAX_K, Engine
from qa.errors import QAError
from qa.filters import Filter
from qa.followup import parse_history
from qa.reader import MAX_FILE_BYTES
from qa.saved import ConversationStore
from qa.settings import Settings, force_offline

log = logging.getLogger("qa.app")

EXAMPLES = [
    "Which aircraft carried out the strikes?",
    "Why did the US carry out the strikes?",
    "How many people were killed?",
    "Who is John Kirby?",
]
QUEUE_SIZE = 64
CONCURRENCY = 2
"""Two requests side by side: the machines have two cores, and FAISS runs one thread each.
The model gets a share of the cores per request too (see `serving_settings`)."""
MALLOC_ARENAS = 2
M_ARENA_MAX = -8
"""mallopt's parameter number for the arena cap (glibc malloc.h)."""
CSS = """
.qa-source, .qa-context { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 8px 12px; margin-bottom: 8px; }
.qa-chosen { outline: 3px solid var(--color-accent); }
.qa-related { border-style: dashed; }
.qa-meta { color: var(--body-text-color-subdued); font-size: 0.85em; }
.qa-pnum { color: var(--body-text-color-subdued); font-size: 0.85em; }
.qa-focus { border-left: 3px solid var(--color-accent); padding-left: 8px; }
mark { background: #fff3a3; color: #111827; }
mark.qa-near { background: none; color: inherit; text-decoration: underline dotted; }
#chat a[href^="#cite-"] { text-decoration: none; }
"""
"""Highlighted quotes are dark on pale yellow in both themes (15:1). Dark-mode rules are
left to the theme's variables (THEME): Gradio rewrites `.dark` selectors in custom CSS,
and a rule in a selector list can come out unmatched."""
THEME = gr.themes.Default().set(
    body_text_color_subdued="#4b5563",
    body_text_color_subdued_dark="#d1d5db",
    button_primary_background_fill="#b45309",
    button_primary_background_fill_dark="#b45309",
    button_primary_background_fill_hover="#92400e",
    button_primary_background_fill_hover_dark="#92400e",
    button_primary_text_color="#ffffff",
    button_primary_text_color_dark="#ffffff",
    button_cancel_background_fill="#b91c1c",
    button_cancel_background_fill_dark="#b91c1c",
    button_cancel_background_fill_hover="#991b1b",
    button_cancel_background_fill_hover_dark="#991b1b",
    button_cancel_text_color="#ffffff",
    button_cancel_text_color_dark="#ffffff",
)
"""Colours with at least 4.5:1 contrast (WCAG AA) in light and dark mode, as the browser
tests check with axe-core: grey labels, the primary (orange) and stop (red) buttons."""
PAGE_JS = """
() => {
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#cite-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const box = document.querySelector("#cite-target textarea");
    if (!box) return;
    box.value = link.getAttribute("href").slice(6) + "-" + Date.now();
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }, true);
  const name = () => document.querySelectorAll("button.upload-container[aria-label]").forEach((b) => {
    const text = b.innerText.replace(/\\s+/g, " ").trim();
    if (text && b.getAttribute("aria-label") !== text) b.setAttribute("aria-label", text);
  });
  new MutationObserver(name).observe(document.body, { childList: true, subtree: true });
}
"""
"""A click on a citation marker in the chat opens that source: the marker links to
#cite-<turn>-<n>, and this writes that into a hidden box whose change event shows it.
The upload area's accessible name is set to the words it shows, as screen-reader users
who speak what they see need ("Drop File Here - or - Click to Upload")."""
CONFIRM_DELETE_JS = (
    "(chosen, current) => (chosen && confirm('Delete this saved conversation?')) ? [chosen, current] : [null, current]"
)
"""Deleting asks first in the browser; a cancelled or empty choice reaches the handler as null."""
CONFIRM_REMOVE_JS = (
    "(chosen, password) => (chosen && confirm('Remove ' + chosen + ' from the corpus? Its file is kept and can be "
    "restored.')) ? [chosen, password] : [null, password]"
)
RESPOND_OUTPUTS = 10
"""The question box, chat, answers, the five source-panel outputs, the conversation id and the saved list."""
COPY_JS = "(text) => { if (text && navigator.clipboard) { navigator.clipboard.writeText(text); } }"


def serving_settings() -> Settings:
    """Settings from the environment, with the model's threads split between the requests
    that run at once: on two cores, two one-thread encodes served 0.69 of in-process
    throughput in the benchmark, two two-thread encodes fighting over the cores 0.58."""
    cores = len(os.sched_getaffinity(0))
    return dataclasses.replace(Settings.from_env(), threads=max(1, cores // CONCURRENCY))


def glibc() -> Any:
    """The C library if it is glibc (whose malloc the two functions below tune), else None."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
    except (OSError, TypeError):
        return None
    return libc if all(hasattr(libc, name) for name in ("gnu_get_libc_version", "mallopt", "malloc_trim")) else None


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """Cap malloc arenas before the server starts its threads. glibc gives threads their own
    arenas (up to eight per core) and seldom returns their free pages; Gradio's worker
    threads come and go, so under 32 clients the server grew from about 800 MB to 1.4 GB
    in three minutes; with two arenas it levelled off near 1.05 GB."""
    libc = glibc()
    if libc is not None and not libc.mallopt(M_ARENA_MAX, arenas):
        log.warning("could not cap malloc arenas; memory may grow under load")


def release_free_memory() -> None:
    """Hand the pages a rebuild freed (batches of activations) back to the system: with
    this after every rebuild the server under load falls back to about 690 MB each time."""
    libc = glibc()
    if libc is not None:
        libc.malloc_trim(0)


def example_text(evt: gr.SelectData) -> str:
    return evt.value["text"]


def make_demo(engine: Engine, gate: AdminGate) -> gr.Blocks:
    saved = ConversationStore(engine.settings.index_dir)

    def respond(
        message: str,
        history: list[dict[str, Any]],
        answers: list[Answer],
        passages: float,
        show_scores: bool,
        within: list[str] | None,
        source: str,
        since: str,
        until: str,
        conversation_id: str | None,
    ) -> tuple[Any, ...]:
        """Answer, show the new answer's sources and save the conversation; a blank or
        refused question leaves the page as it was, with a notice, instead of turning every
        panel into an error."""
        if not message or not message.strip():
            gr.Warning("Type a question first.")
            return tuple(gr.skip() for _ in range(RESPOND_OUTPUTS))
        try:
            where = Filter.parse(within, source, since, until)
            answer = engine.ask(message, history=present.chat_turns(history), k=int(passages), where=where)
        except QAError as exc:
            gr.Warning(str(exc))
            return tuple(gr.skip() for _ in range(RESPOND_OUTPUTS))
        answers = [*answers, answer]
        conversation_id = saved.save(conversation_id, answers)
        shown = _show(answer, len(answers) - 1, None, show_scores)
        return ("", _chat(answers), answers, *shown, conversation_id, _saved_choices(conversation_id))

    def _chat(answers: list[Answer]) -> list[dict[str, str]]:
        """The chat's messages for these answers, each answer's markers linking to its sources."""
        messages = []
        for turn, answer in enumerate(answers):
            messages.append({"role": "user", "content": present.escape_markdown(answer.question)})
            messages.append({"role": "assistant", "content": present.chat_markdown(answer, turn)})
        return messages

    def _saved_choices(chosen: str | None = None) -> Any:
        choices = [(present.saved_choice(c), c.conversation_id) for c in saved.list()]
        return gr.update(choices=choices, value=chosen)

    def open_saved(conversation_id: str | None, show_scores: bool) -> tuple[Any, ...]:
        if not conversation_id:
            gr.Warning("Pick a saved conversation first.")
            return tuple(gr.skip() for _ in range(RESPOND_OUTPUTS - 1))
        try:
            answers = saved.load(conversation_id)
        except QAError as exc:
            gr.Warning(str(exc))
            return tuple(gr.skip() for _ in range(RESPOND_OUTPUTS - 1))
        shown = _show(answers[-1], len(answers) - 1, None, show_scores)
        return (_chat(answers), answers, *shown, conversation_id, _saved_choices(conversation_id))

    def rename_saved(conversation_id: str | None, title: str) -> tuple[Any, str]:
        try:
            saved.rename(conversation_id or "", title)
        except QAError as exc:
            gr.Warning(str(exc))
            return gr.skip(), gr.skip()
        return _saved_choices(conversation_id), ""

    def delete_saved(conversation_id: str | None, current: str | None) -> tuple[Any, Any]:
        if not conversation_id:
            return gr.skip(), gr.skip()
        try:
            saved.delete(conversation_id or "")
        except QAError as exc:
            gr.Warning(str(exc))
            return gr.skip(), gr.skip()
        gr.Info("Conversation deleted.")
        return _saved_choices(), None if current == conversation_id else current

    def _show(answer: Answer, turn: int, n: int | None, show_scores: bool) -> tuple[Any, ...]:
        """Sources, the source picker, the context panel and the quote spans for one answer,
        with source `n` (or the first) opened in context."""
        choices = present.source_choices(answer)
        cards = answer.citations or answer.related
        spans = {c.passage_id: list(c.span) for c in cards}
        opened = next((c.passage_id for c in cards if c.n == n), choices[0][1] if choices else None)
        context_html = _context(opened, spans) if opened else ""
        sources_html = present.sources_html(answer, show_scores, chosen=n)
        return sources_html, gr.update(choices=choices, value=opened), context_html, spans, turn

    def show_turn(answers: list[Answer], show_scores: bool, evt: gr.SelectData) -> tuple[Any, ...]:
        """Selecting a message shows the sources of its answer."""
        index = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        turn = int(index) // 2
        if not 0 <= turn < len(answers):
            return tuple(gr.skip() for _ in range(5))
        return _show(answers[turn], turn, None, show_scores)

    def open_citation(target: str, answers: list[Answer], show_scores: bool) -> tuple[Any, ...]:
        """A click on marker [n] of answer `turn` (the page script writes "turn-n-nonce")."""
        try:
            turn, n = (int(part) for part in target.split("-")[:2])
            answer = answers[turn]
        except (ValueError, IndexError):
            return tuple(gr.skip() for _ in range(5))
        return _show(answer, turn, n, show_scores)

    def show_context(passage_id: str | None, spans: dict[str, list[int]]) -> str:
        return _context(passage_id, spans) if passage_id else ""

    def _context(passage_id: str, spans: dict[str, list[int]]) -> str:
        try:
            span = spans.get(passage_id)
            return present.context_html(engine.context(passage_id), tuple(span) if span else None)
        except QAError as exc:
            raise gr.Error(str(exc)) from exc

    def copy_text(answers: list[Answer], shown: int, whole: bool) -> str:
        if not answers:
            gr.Warning("Nothing to copy yet: ask a question first.")
            return gr.skip()
        return conversation.conversation_text(answers) if whole else conversation.plain_text(answers[shown])

    def export(answers: list[Answer], form: str) -> Any:
        if not answers:
            gr.Warning("Nothing to export yet: ask a question first.")
            return gr.skip()
        folder = Path(tempfile.mkdtemp(prefix="corpus-qa-export-"))
        if form == "json":
            path = folder / "conversation.json"
            path.write_text(conversation.to_json(answers), encoding="utf-8")
        else:
            path = folder / "conversation.md"
            path.write_text(conversation.markdown(answers), encoding="utf-8")
        return gr.update(value=str(path), visible=True)

    def ask(
        question: str,
        history: list[dict[str, Any]] | None = None,
        articles: list[str] | None = None,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> dict[str, Any]:
        """The same JSON as `qa ask --json`; `articles`, `source`, `since` and `until`
        (YYYY-MM-DD) limit the articles it answers from, as the CLI's filters do."""
        try:
            where = Filter.parse(articles, source, since, until)
            return engine.ask(question, history=parse_history(history), where=where).to_dict()
        except QAError as exc:
            raise gr.Error(str(exc)) from exc

    def search(
        query: str,
        k: float,
        articles: list[str] | None = None,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> dict[str, Any]:
        """The same JSON as `qa search --json`, with the same filters as `ask`."""
        try:
            where = Filter.parse(articles, source, since, until)
            return engine.search(query, k=int(k), where=where).to_dict()
        except QAError as exc:
            raise gr.Error(str(exc)) from exc

    def articles() -> tuple[str, list[list[Any]], Any, Any, Any, Any]:
        status = engine.status()
        titled = [(present.article_choice(a), a.article_id) for a in status.articles]
        kept = library.kept_files(engine.settings.index_dir / "removed")
        return (
            present.status_markdown(status),
            present.articles_rows(status),
            gr.update(choices=titled, value=None),
            gr.update(choices=titled),
            gr.update(choices=[(f"{k.original} (removed {k.removed_at} UTC)", k.path.name) for k in kept], value=None),
            gr.update(choices=titled),
        )

    def add_files(
        files: list[str] | None, password: str, request: gr.Request, progress: gr.Progress = gr.Progress()
    ) -> str:
        _admit(password, request)
        if not files:
            return "Choose one or more .txt, .md, .html, .pdf or .docx files first."
        lines, added = [], []
        for path in files:
            try:
                saved = library.add(engine.settings.corpus_dir, Path(path).name, Path(path).read_bytes())
                lines.append(f"added: {saved.note}")
                added.append(saved.path)
            except (QAError, OSError) as exc:
                lines.append(f"refused: {exc}")
        return "\n".join([*lines, _rebuild(progress, added) if added else "nothing added; the index is unchanged"])

    def remove_article(
        article_id: str | None, password: str, request: gr.Request, progress: gr.Progress = gr.Progress()
    ) -> str:
        _admit(password, request)
        record = engine.version().article(article_id) if article_id else None
        if record is None:
            return "Pick an indexed article to remove."
        try:
            removed = library.remove(engine.settings.corpus_dir, record.path, engine.settings.index_dir / "removed")
        except QAError as exc:
            return f"refused: {exc}"
        gone = engine.settings.corpus_dir / record.path
        note = f"removed {removed.article_id}; its file is kept in {removed.kept_at.parent} and can be restored below"
        return "\n".join([note, _rebuild(progress, [gone])])

    def restore_article(
        kept_name: str | None, password: str, request: gr.Request, progress: gr.Progress = gr.Progress()
    ) -> str:
        _admit(password, request)
        if not kept_name:
            return "Pick a removed article to restore."
        trash = engine.settings.index_dir / "removed"
        try:
            restored = library.restore(engine.settings.corpus_dir, trash / Path(kept_name).name, trash)
        except QAError as exc:
            return f"refused: {exc}"
        return "\n".join([restored.note, _rebuild(progress, [restored.path])])

    def read_article(article_id: str | None, show_dropped: bool) -> tuple[str, str, str, str]:
        """The article's cleaned text, and its details to edit."""
        if not article_id:
            return "", "", "", ""
        try:
            view = engine.show(article_id)
        except QAError as exc:
            gr.Warning(str(exc))
            return "", "", "", ""
        record = view.article
        return present.article_html(view, show_dropped), record.title or "", record.source or "", record.date or ""

    def describe_article(
        article_id: str | None,
        title: str,
        source: str,
        date: str,
        password: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),
    ) -> str:
        _admit(password, request)
        if not article_id:
            return "Pick an article to edit first."
        progress(0, desc="Saving the details")
        try:
            report = engine.describe(article_id, title, source, date)
        except QAError as exc:
            return f"refused: {exc}"
        finally:
            release_free_memory()
        return "\n".join([f"details of {article_id} saved", present.format_report(report, engine.settings)])

    def search_passages(query: str, k: float) -> str:
        try:
            response = engine.search(query, k=int(k))
            return present.results_html(response, engine.version().keywords.terms)
        except QAError as exc:
            gr.Warning(str(exc))
            return gr.skip()

    def rebuild(password: str, request: gr.Request, progress: gr.Progress = gr.Progress()) -> str:
        _admit(password, request)
        return _rebuild(progress)

    def _admit(password: str, request: gr.Request) -> None:
        try:
            gate.check(password, request.client.host if request and request.client else None)
        except QAError as exc:
            raise gr.Error(str(exc)) from exc

    def _rebuild(progress: gr.Progress, changed: list[Path] | None = None) -> str:
        """Sync the whole folder, or only the `changed` files when the caller knows them."""
        progress(0, desc="Updating the index")

        def embedding(done: int, total: int) -> None:
            progress((done, total), desc="Embedding")

        try:
            report = engine.update(changed, progress=embedding) if changed else engine.index(progress=embedding)
        except QAError as exc:
            return f"rebuild failed: {exc}"
        finally:
            release_free_memory()
        return present.format_report(report, engine.settings)

    with gr.Blocks(title="corpus-qa") as blocks:
        gr.Markdown(
            "# corpus-qa\nAsk about the articles. Every sentence of an answer cites the paragraph it came from."
        )
        with gr.Tab("Ask"):
            with gr.Row():
                with gr.Column(scale=3):
                    with gr.Accordion("Saved conversations", open=False, elem_id="saved"):
                        saved_list = gr.Dropdown(label="Conversation", choices=[], elem_id="saved-list")
                        with gr.Row():
                            open_button = gr.Button("Open", size="sm", elem_id="saved-open")
                            delete_button = gr.Button("Delete", size="sm", variant="stop", elem_id="saved-delete")
                        with gr.Row():
                            new_title = gr.Textbox(label="Rename to", elem_id="saved-title", scale=3)
                            rename_button = gr.Button("Rename", size="sm", elem_id="saved-rename", scale=1)
                    chatbot = gr.Chatbot(
                        label="Answers",
                        height=480,
                        examples=[{"text": q} for q in EXAMPLES],
                        allow_tags=False,
                        sanitize_html=True,
                        buttons=[],
                        elem_id="chat",
                    )
                    question = gr.Textbox(
                        placeholder="Ask about the articles…",
                        label="Question",
                        show_label=False,
                        submit_btn="Ask",
                        elem_id="question",
                    )
                    with gr.Accordion("Filter: answer from some articles only", open=False, elem_id="filters"):
                        within = gr.Dropdown(label="Articles", choices=[], multiselect=True, elem_id="filter-articles")
                        with gr.Row():
                            source = gr.Textbox(label="Outlet contains", elem_id="filter-source")
                            since = gr.Textbox(label="Dated from (YYYY-MM-DD)", elem_id="filter-since")
                            until = gr.Textbox(label="Dated until (YYYY-MM-DD)", elem_id="filter-until")
                    with gr.Row():
                        passages = gr.Slider(1, MAX_K, value=DEFAULT_PASSAGES, step=1, label="Passages to consider")
                        show_scores = gr.Checkbox(label="Show retrieval scores")
                    with gr.Row():
                        copy_answer = gr.Button("Copy answer", size="sm", elem_id="copy-answer")
                        copy_all = gr.Button("Copy conversation", size="sm", elem_id="copy-all")
                        export_md = gr.Button("Export Markdown", size="sm", elem_id="export-md")
                        export_json = gr.Button("Export JSON", size="sm", elem_id="export-json")
                        clear = gr.Button("New conversation", size="sm")
                    exported = gr.File(label="Exported conversation", visible=False, elem_id="export")
                    payload = gr.Textbox(visible="hidden", elem_id="copy-payload")
                    cite_target = gr.Textbox(visible="hidden", elem_id="cite-target")
                with gr.Column(scale=2):
                    sources = gr.HTML(elem_id="sources")
                    pick = gr.Radio(label="Read a source in context", choices=[], elem_id="pick")
                    context = gr.HTML(elem_id="context")
            spans = gr.State({})
            answers = gr.State([])
            shown = gr.State(0)
            conversation_id = gr.State(None)
            panel = [sources, pick, context, spans, shown]
            outputs = [question, chatbot, answers, *panel, conversation_id, saved_list]
            inputs = [question, chatbot, answers, passages, show_scores, within, source, since, until, conversation_id]
            question.submit(respond, inputs, outputs, api_visibility="private")
            chatbot.example_select(example_text, None, question, api_visibility="private").then(
                respond, inputs, outputs, api_visibility="private"
            )
            chatbot.select(show_turn, [answers, show_scores], panel, api_visibility="private")
            cite_target.change(open_citation, [cite_target, answers, show_scores], panel, api_visibility="private")
            pick.change(show_context, [pick, spans], context, api_visibility="private")
            for button, whole in ((copy_answer, False), (copy_all, True)):
                button.click(
                    lambda a, s, w=whole: copy_text(a, s, w), [answers, shown], payload, api_visibility="private"
                ).then(None, payload, None, js=COPY_JS)
            for button, form in ((export_md, "markdown"), (export_json, "json")):
                button.click(lambda a, f=form: export(a, f), answers, exported, api_visibility="private")

            open_button.click(open_saved, [saved_list, show_scores], outputs[1:], api_visibility="private")
            rename_button.click(
                rename_saved, [saved_list, new_title], [saved_list, new_title], api_visibility="private"
            )
            delete_button.click(
                delete_saved,
                [saved_list, conversation_id],
                [saved_list, conversation_id],
                api_visibility="private",
                js=CONFIRM_DELETE_JS,
            )

            def reset() -> tuple[Any, ...]:
                return [], [], "", gr.update(choices=[], value=None), "", {}, 0, None, _saved_choices()

            clear.click(reset, None, outputs[1:], api_visibility="private")
            chatbot.clear(reset, None, outputs[1:], api_visibility="private")
        with gr.Tab("Search passages"):
            with gr.Row():
                query = gr.Textbox(
                    label="Find passages",
                    placeholder="Words or a question…",
                    submit_btn="Search",
                    elem_id="query",
                    scale=4,
                )
                how_many = gr.Slider(1, 50, value=10, step=1, label="Passages", scale=1)
            results = gr.HTML(elem_id="results")
            query.submit(search_passages, [query, how_many], results, api_visibility="private")
        with gr.Tab("Articles") as articles_tab:
            status = gr.Markdown(elem_id="status")
            table = gr.Dataframe(
                headers=["id", "title", "source", "date", "paragraphs", "indexed"],
                interactive=False,
                wrap=True,
                column_widths=["22%", "38%", "10%", "10%", "8%", "12%"],
                elem_id="articles",
            )
            password = gr.Textbox(
                label="Admin password", type="password", visible=gate.needs_password, elem_id="password"
            )
            with gr.Row():
                with gr.Column():
                    files = gr.File(
                        label=f"Add articles (.txt, .md, .html, .pdf, .docx; up to {MAX_FILE_BYTES // 2**20} MB each)",
                        file_count="multiple",
                        file_types=[".txt", ".md", ".html", ".pdf", ".docx"],
                        elem_id="upload",
                    )
                    add_button = gr.Button("Add to the index", variant="primary", elem_id="add")
                with gr.Column():
                    # Any value: API callers have no page session to fill the choices,
                    # and remove_article looks the id up in the index anyway.
                    chosen = gr.Dropdown(
                        label="Article to remove", choices=[], allow_custom_value=True, elem_id="remove-choice"
                    )
                    remove_button = gr.Button("Remove from the index", variant="stop", elem_id="remove")
                    kept = gr.Dropdown(label="Removed article to restore", choices=[], elem_id="restore-choice")
                    restore_button = gr.Button("Restore", elem_id="restore")
                    rebuild_button = gr.Button("Sync with the corpus folder", elem_id="rebuild")
            report = gr.Textbox(label="What happened", lines=6, interactive=False, elem_id="report")
            with gr.Accordion("Read an article", open=False, elem_id="reader"):
                with gr.Row():
                    reading = gr.Dropdown(label="Article", choices=[], elem_id="reader-choice", scale=3)
                    show_dropped = gr.Checkbox(label="Show the lines cleaning dropped", elem_id="reader-dropped")
                with gr.Row():
                    edit_title = gr.Textbox(label="Title", elem_id="edit-title", scale=3)
                    edit_source = gr.Textbox(label="Source (outlet)", elem_id="edit-source")
                    edit_date = gr.Textbox(label="Date (YYYY-MM-DD)", elem_id="edit-date")
                save_details = gr.Button("Save details", elem_id="save-details")
                article_view = gr.HTML(elem_id="article-view")
            details = [edit_title, edit_source, edit_date]
            for trigger in (reading.change, show_dropped.change):
                trigger(read_article, [reading, show_dropped], [article_view, *details], api_visibility="private")
            listing = [status, table, chosen, within, kept, reading]
            articles_tab.select(articles, None, listing, api_visibility="private")
            save_details.click(describe_article, [reading, *details, password], report, api_name="describe").then(
                articles, None, listing
            ).then(read_article, [reading, show_dropped], [article_view, *details])
            add_button.click(add_files, [files, password], report, api_name="add").then(articles, None, listing).then(
                lambda: None, None, files
            )
            remove_button.click(
                remove_article, [chosen, password], report, api_name="remove", js=CONFIRM_REMOVE_JS
            ).then(articles, None, listing)
            restore_button.click(restore_article, [kept, password], report, api_name="restore").then(
                articles, None, listing
            )
            rebuild_button.click(rebuild, password, report, api_name="rebuild").then(articles, None, listing)
        gr.api(ask, api_name="ask")
        gr.api(search, api_name="search")
        blocks.load(articles, None, listing, api_visibility="private")
        blocks.load(_saved_choices, None, saved_list, api_visibility="private")
    return blocks


force_offline()
engine = Engine(serving_settings())
demo = make_demo(
    engine,
    AdminGate(os.environ.get("QA_ADMIN_PASSWORD"), lambda: demo.server_name or os.environ.get("GRADIO_SERVER_NAME")),
)
demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY, api_open=False)

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve corpus-qa in the browser.")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    limit_malloc_arenas()
    engine.warm_up()
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        max_file_size=MAX_FILE_BYTES,
        css=CSS,
        js=PAGE_JS,
        theme=THEME,
        app_kwargs={"middleware": [Middleware(OriginGuard)]},
    )
