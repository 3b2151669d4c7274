"""The page: three tabs (Ask, Search passages, Articles) and which handler each control calls."""

from __future__ import annotations

import reprlib
from typing import Any, Self

import gradio as gr
from gradio.data_classes import ListFiles
from pydantic import ValidationError

from qa.access import AdminGate
from qa.engine import DEFAULT_PASSAGES, MAX_K, Engine
from qa.reader import MAX_FILE_BYTES
from qa.web.api import Api
from qa.web.chat import Chat, example_text
from qa.web.corpus import Corpus
from qa.web.style import CONFIRM_DELETE_JS, CONFIRM_REMOVE_JS, COPY_JS

EXAMPLES = [
    "Which aircraft carried out the strikes?",
    "Why did the US carry out the strikes?",
    "How many people were killed?",
    "Who is John Kirby?",
]


def build(engine: Engine, gate: AdminGate) -> gr.Blocks:
    chat, corpus, api = Chat(engine), Corpus(engine, gate), Api(engine)
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
            inputs = [question, answers, passages, show_scores, within, source, since, until, conversation_id]
            question.submit(chat.respond, inputs, outputs, api_visibility="private")
            chatbot.example_select(example_text, None, question, api_visibility="private").then(
                chat.respond, inputs, outputs, api_visibility="private"
            )
            chatbot.select(chat.show_turn, [answers, show_scores], panel, api_visibility="private")
            cite_target.change(chat.open_citation, [cite_target, answers, show_scores], panel, api_visibility="private")
            pick.change(chat.show_context, [pick, spans], context, api_visibility="private")
            for button, whole in ((copy_answer, False), (copy_all, True)):
                button.click(
                    lambda a, s, w=whole: chat.copy_text(a, s, w), [answers, shown], payload, api_visibility="private"
                ).then(None, payload, None, js=COPY_JS)
            for button, form in ((export_md, "markdown"), (export_json, "json")):
                button.click(lambda a, f=form: chat.export(a, f), answers, exported, api_visibility="private")

            open_button.click(chat.open_saved, [saved_list, show_scores], outputs[1:], api_visibility="private")
            rename_button.click(
                chat.rename_saved, [saved_list, new_title], [saved_list, new_title], api_visibility="private"
            )
            delete_button.click(
                chat.delete_saved,
                [saved_list, conversation_id],
                [saved_list, conversation_id],
                api_visibility="private",
                js=CONFIRM_DELETE_JS,
            )

            clear.click(chat.reset, None, outputs[1:], api_visibility="private")
            chatbot.clear(chat.reset, None, outputs[1:], api_visibility="private")
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
            query.submit(corpus.search_passages, [query, how_many], results, api_visibility="private")
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
                    files.data_model = UploadedFiles
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
                trigger(
                    corpus.read_article, [reading, show_dropped], [article_view, *details], api_visibility="private"
                )
            listing = [status, table, chosen, within, kept, reading]
            articles_tab.select(corpus.articles, None, listing, api_visibility="private")
            # The refreshes after a change are the page's own, not API endpoints.
            private = {"api_visibility": "private"}
            save_details.click(
                corpus.describe_article, [reading, *details, password], report, api_name="describe"
            ).then(corpus.articles, None, listing, **private).then(
                corpus.read_article, [reading, show_dropped], [article_view, *details], **private
            )
            add_button.click(corpus.add_files, [files, password], report, api_name="add").then(
                corpus.articles, None, listing, **private
            ).then(lambda: None, None, files, **private)
            remove_button.click(
                corpus.remove_article, [chosen, password], report, api_name="remove", js=CONFIRM_REMOVE_JS
            ).then(corpus.articles, None, listing, **private)
            restore_button.click(corpus.restore_article, [kept, password], report, api_name="restore").then(
                corpus.articles, None, listing, **private
            )
            rebuild_button.click(corpus.rebuild, password, report, api_name="rebuild").then(
                corpus.articles, None, listing, **private
            )
        gr.api(api.ask, api_name="ask")
        gr.api(api.search, api_name="search")
        blocks.load(corpus.articles, None, listing, api_visibility="private")
        blocks.load(chat.saved_choices, None, saved_list, api_visibility="private")
    return blocks


class UploadedFiles(ListFiles):
    """Gradio checks an event's file payload against this model before any handler runs,
    and a payload of the wrong shape reached API clients only as "raised an exception"."""

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise gr.Error(f"files must be a list of uploaded files, got {reprlib.repr(obj)}") from exc
