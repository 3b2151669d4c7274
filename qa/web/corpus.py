"""The Articles and Search tabs' handlers: list, add, remove, restore, read and describe
articles, rebuild, search passages. Every change to the corpus passes the admin gate."""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import Any

import gradio as gr

from qa import library, present
from qa.access import AdminGate
from qa.engine import Engine
from qa.errors import QAError
from qa.index.format import REMOVED
from qa.web.serving import release_free_memory


class Corpus:
    """Handlers that read or change the corpus; changes are checked by `gate` inside each."""

    def __init__(self, engine: Engine, gate: AdminGate) -> None:
        self.engine = engine
        self.gate = gate

    def articles(self) -> tuple[str, list[list[Any]], Any, Any, Any, Any]:
        """The status line, the table, and the article choices of the remove list, the Ask
        tab's filter, the restore list (removed files) and the reader."""
        status = self.engine.status()
        titled = [(present.article_choice(a), a.article_id) for a in status.articles]
        kept = library.kept_files(self.engine.settings.index_dir / REMOVED)
        return (
            present.status_markdown(status),
            present.articles_rows(status),
            gr.update(choices=titled, value=None),
            gr.update(choices=titled),
            gr.update(choices=[(f"{k.original} (removed {k.removed_at} UTC)", k.path.name) for k in kept], value=None),
            gr.update(choices=titled),
        )

    def add_files(
        self, files: list[str] | None, password: str, request: gr.Request, progress: gr.Progress = gr.Progress()
    ) -> str:
        self.admit(password, request)
        if not files:
            return "Choose one or more .txt, .md, .html, .pdf or .docx files first."
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise gr.Error(f"files must be a list of uploaded files, got {reprlib.repr(files)}")
        lines, added = [], []
        for done, path in enumerate(files):
            progress((done, len(files)), desc=f"Checking and saving {Path(path).name}")
            try:
                saved = library.add(self.engine.settings.corpus_dir, Path(path).name, Path(path).read_bytes())
                lines.append(f"added: {saved.note}")
                added.append(saved.path)
            except (QAError, OSError) as exc:
                lines.append(f"refused: {exc}")
        return "\n".join(
            [*lines, self.update_index(progress, added) if added else "nothing added; the index is unchanged"]
        )

    def remove_article(
        self, article_id: str | None, password: str, request: gr.Request, progress: gr.Progress = gr.Progress()
    ) -> str:
        self.admit(password, request)
        record = self.engine.version().article(article_id) if article_id else None
        if record is None:
            return "Pick an indexed article to remove."
        try:
            removed = library.remove(
                self.engine.settings.corpus_dir, record.path, self.engine.settings.index_dir / REMOVED
            )
        except QAError as exc:
            return f"refused: {exc}"
        gone = self.engine.settings.corpus_dir / record.path
        note = f"removed {removed.article_id}; its file is kept in {removed.kept_at.parent} and can be restored below"
        return "\n".join([note, self.update_index(progress, [gone])])

    def restore_article(
        self, kept_name: str | None, password: str, request: gr.Request, progress: gr.Progress = gr.Progress()
    ) -> str:
        self.admit(password, request)
        if not kept_name:
            return "Pick a removed article to restore."
        trash = self.engine.settings.index_dir / REMOVED
        try:
            restored = library.restore(self.engine.settings.corpus_dir, trash / Path(kept_name).name, trash)
        except QAError as exc:
            return f"refused: {exc}"
        return "\n".join([restored.note, self.update_index(progress, [restored.path])])

    def read_article(self, article_id: str | None, show_dropped: bool) -> tuple[str, str, str, str]:
        """The article's cleaned text, and its details to edit."""
        if not article_id:
            return "", "", "", ""
        try:
            view = self.engine.show(article_id)
        except QAError as exc:
            gr.Warning(str(exc))
            return "", "", "", ""
        record = view.article
        return present.article_html(view, show_dropped), record.title or "", record.source or "", record.date or ""

    def describe_article(
        self,
        article_id: str | None,
        title: str,
        source: str,
        date: str,
        password: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),
    ) -> str:
        self.admit(password, request)
        if not article_id:
            return "Pick an article to edit first."
        progress(0, desc="Saving the details")
        try:
            report = self.engine.describe(article_id, title, source, date)
        except QAError as exc:
            return f"refused: {exc}"
        finally:
            release_free_memory()
        return "\n".join([f"details of {article_id} saved", present.format_report(report, self.engine.settings)])

    def search_passages(self, query: str, k: float) -> str:
        try:
            response = self.engine.search(query, k=int(k))
            return present.results_html(response, self.engine.version().segments.terms)
        except QAError as exc:
            gr.Warning(str(exc))
            return gr.skip()

    def rebuild(self, password: str, request: gr.Request, progress: gr.Progress = gr.Progress()) -> str:
        self.admit(password, request)
        return self.update_index(progress)

    def admit(self, password: str, request: gr.Request) -> None:
        try:
            self.gate.check(password, request.client.host if request and request.client else None)
        except QAError as exc:
            raise gr.Error(str(exc)) from exc

    def update_index(self, progress: gr.Progress, changed: list[Path] | None = None) -> str:
        """Sync the whole folder, or only the `changed` files when the caller knows them."""
        progress(0, desc="Updating the index")

        def embedding(done: int, total: int) -> None:
            progress((done, total), desc="Embedding")

        try:
            report = (
                self.engine.update(changed, progress=embedding) if changed else self.engine.index(progress=embedding)
            )
        except QAError as exc:
            return f"rebuild failed: {exc}"
        finally:
            release_free_memory()
        return present.format_report(report, self.engine.settings)
