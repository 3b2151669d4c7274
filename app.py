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
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from qa import library, present
from qa.access import AdminGate, OriginGuard
from qa.engine import DEFAULT_PASSAGES, MAX_K, Engine
from qa.errors import QAError
from qa.followup import parse_history
from qa.reader import MAX_FILE_BYTES
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
.qa-meta { color: var(--body-text-color-subdued); font-size: 0.85em; }
.qa-para { opacity: 0.75; } .qa-focus { opacity: 1; border-left: 3px solid var(--color-accent); padding-left: 8px; }
.qa-pnum { color: var(--body-text-color-subdued); font-size: 0.85em; }
mark { background: #fff3a3; color: inherit; }
"""


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
    def respond(
        message: str, history: list[dict[str, Any]], passages: float, show_scores: bool
    ) -> tuple[str, list[dict[str, Any]], str, Any, str, dict[str, list[int]]]:
        try:
            answer = engine.ask(message, history=present.chat_turns(history), k=int(passages))
        except QAError as exc:
            raise gr.Error(str(exc)) from exc
        history = [
            *history,
            {"role": "user", "content": present.escape_markdown(message)},
            {"role": "assistant", "content": present.chat_markdown(answer)},
        ]
        choices = present.source_choices(answer)
        spans = {c.passage_id: list(c.span) for c in (answer.citations or answer.related)}
        first = _context(choices[0][1], spans) if choices else ""
        return (
            "",
            history,
            present.sources_html(answer, show_scores),
            gr.update(choices=choices, value=choices[0][1] if choices else None),
            first,
            spans,
        )

    def show_context(passage_id: str | None, spans: dict[str, list[int]]) -> str:
        return _context(passage_id, spans) if passage_id else ""

    def _context(passage_id: str, spans: dict[str, list[int]]) -> str:
        try:
            span = spans.get(passage_id)
            return present.context_html(engine.context(passage_id), tuple(span) if span else None)
        except QAError as exc:
            raise gr.Error(str(exc)) from exc

    def ask(question: str, history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The same JSON as `qa ask --json`."""
        try:
            return engine.ask(question, history=parse_history(history)).to_dict()
        except QAError as exc:
            raise gr.Error(str(exc)) from exc

    def search(query: str, k: float) -> dict[str, Any]:
        """The same JSON as `qa search --json`."""
        try:
            return engine.search(query, k=int(k)).to_dict()
        except QAError as exc:
            raise gr.Error(str(exc)) from exc

    def articles() -> tuple[str, list[list[Any]], Any]:
        status = engine.status()
        ids = [a.article_id for a in status.articles]
        return present.status_markdown(status), present.articles_rows(status), gr.update(choices=ids, value=None)

    def add_files(
        files: list[str] | None, password: str, request: gr.Request, progress: gr.Progress = gr.Progress()
    ) -> str:
        _admit(password, request)
        if not files:
            return "Choose one or more .txt, .md or .html files first."
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
        return "\n".join(
            [f"removed {removed.article_id}; the file is kept at {removed.kept_at}", _rebuild(progress, [gone])]
        )

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
            "## corpus-qa\nAsk about the articles. Every sentence of an answer cites the paragraph it came from."
        )
        with gr.Tab("Ask"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label="Answers",
                        height=480,
                        examples=[{"text": q} for q in EXAMPLES],
                        allow_tags=False,
                        sanitize_html=True,
                        elem_id="chat",
                    )
                    question = gr.Textbox(
                        placeholder="Ask about the articles…", show_label=False, submit_btn=True, elem_id="question"
                    )
                    with gr.Row():
                        passages = gr.Slider(1, MAX_K, value=DEFAULT_PASSAGES, step=1, label="Passages to consider")
                        show_scores = gr.Checkbox(label="Show retrieval scores")
                        clear = gr.Button("New conversation", size="sm")
                with gr.Column(scale=2):
                    sources = gr.HTML(elem_id="sources")
                    pick = gr.Radio(label="Read a source in context", choices=[], elem_id="pick")
                    context = gr.HTML(elem_id="context")
            spans = gr.State({})
            outputs = [question, chatbot, sources, pick, context, spans]
            question.submit(respond, [question, chatbot, passages, show_scores], outputs, api_visibility="private")
            chatbot.example_select(example_text, None, question, api_visibility="private").then(
                respond, [question, chatbot, passages, show_scores], outputs, api_visibility="private"
            )
            pick.change(show_context, [pick, spans], context, api_visibility="private")
            clear.click(
                lambda: ("", [], "", gr.update(choices=[], value=None), "", {}), None, outputs, api_visibility="private"
            )
        with gr.Tab("Articles") as articles_tab:
            status = gr.Markdown(elem_id="status")
            table = gr.Dataframe(
                headers=["id", "title", "source", "date", "paragraphs", "indexed"], interactive=False, wrap=True
            )
            password = gr.Textbox(
                label="Admin password", type="password", visible=gate.needs_password, elem_id="password"
            )
            with gr.Row():
                with gr.Column():
                    files = gr.File(
                        label=f"Add articles (.txt, .md, .html; up to {MAX_FILE_BYTES // 2**20} MB each)",
                        file_count="multiple",
                        file_types=[".txt", ".md", ".html"],
                        elem_id="upload",
                    )
                    add_button = gr.Button("Add to the index", variant="primary", elem_id="add")
                with gr.Column():
                    # Any value: API callers have no page session to fill the choices,
                    # and remove_article looks the id up in the index anyway.
                    chosen = gr.Dropdown(
                        label="Article to remove", choices=[], allow_custom_value=True, elem_id="remove-choice"
                    )
                    remove_button = gr.Button("Remove from the index", variant="stop")
                    rebuild_button = gr.Button("Sync with the corpus folder", elem_id="rebuild")
            report = gr.Textbox(label="What happened", lines=6, interactive=False, elem_id="report")
            listing = [status, table, chosen]
            articles_tab.select(articles, None, listing, api_visibility="private")
            add_button.click(add_files, [files, password], report, api_name="add").then(articles, None, listing)
            remove_button.click(remove_article, [chosen, password], report, api_name="remove").then(
                articles, None, listing
            )
            rebuild_button.click(rebuild, password, report, api_name="rebuild").then(articles, None, listing)
        gr.api(ask, api_name="ask")
        gr.api(search, api_name="search")
        blocks.load(articles, None, listing, api_visibility="private")
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
        app_kwargs={"middleware": [Middleware(OriginGuard)]},
    )
