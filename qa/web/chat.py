"""The Ask tab's handlers: answer, show each answer's sources, copy, export, saved conversations."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from qa import conversation, present
from qa.cite import Answer
from qa.engine import Engine
from qa.errors import QAError
from qa.filters import Filter
from qa.followup import Turn
from qa.saved import ConversationStore

RESPOND_OUTPUTS = 10
"""The question box, chat, answers, the five source-panel outputs, the conversation id and the saved list."""
PANEL_OUTPUTS = 5
"""Sources, the source picker, the context, the quote spans and the shown answer's turn."""


def example_text(evt: gr.SelectData) -> str:
    return evt.value["text"]


class Chat:
    """Handlers of the Ask tab; the conversation itself lives in the page's state."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.saved = ConversationStore(engine.settings.index_dir)

    def respond(
        self,
        message: str,
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
            history = [
                Turn(role, text) for a in answers for role, text in (("user", a.question), ("assistant", a.answer))
            ]
            answer = self.engine.ask(message, history=history, k=int(passages), where=where)
        except QAError as exc:
            gr.Warning(str(exc))
            return tuple(gr.skip() for _ in range(RESPOND_OUTPUTS))
        answers = [*answers, answer]
        conversation_id = self.saved.save(conversation_id, answers)
        shown = self.show(answer, len(answers) - 1, None, show_scores)
        return ("", self.chat(answers), answers, *shown, conversation_id, self.saved_choices(conversation_id))

    def chat(self, answers: list[Answer]) -> list[dict[str, str]]:
        """The chat's messages for these answers, each answer's markers linking to its sources."""
        messages = []
        for turn, answer in enumerate(answers):
            messages.append({"role": "user", "content": present.escape_markdown(answer.question)})
            messages.append({"role": "assistant", "content": present.chat_markdown(answer, turn)})
        return messages

    def saved_choices(self, chosen: str | None = None) -> Any:
        choices = [(present.saved_choice(c), c.conversation_id) for c in self.saved.recent()]
        return gr.update(choices=choices, value=chosen)

    def open_saved(self, conversation_id: str | None, show_scores: bool) -> tuple[Any, ...]:
        if not conversation_id:
            gr.Warning("Pick a saved conversation first.")
            return tuple(gr.skip() for _ in range(RESPOND_OUTPUTS - 1))
        try:
            answers = self.saved.load(conversation_id)
        except QAError as exc:
            gr.Warning(str(exc))
            return tuple(gr.skip() for _ in range(RESPOND_OUTPUTS - 1))
        shown = self.show(answers[-1], len(answers) - 1, None, show_scores)
        return (self.chat(answers), answers, *shown, conversation_id, self.saved_choices(conversation_id))

    def rename_saved(self, conversation_id: str | None, title: str) -> tuple[Any, str]:
        try:
            self.saved.rename(conversation_id or "", title)
        except QAError as exc:
            gr.Warning(str(exc))
            return gr.skip(), gr.skip()
        return self.saved_choices(conversation_id), ""

    def delete_saved(self, conversation_id: str | None, current: str | None) -> tuple[Any, Any]:
        if not conversation_id:
            return gr.skip(), gr.skip()
        try:
            self.saved.delete(conversation_id or "")
        except QAError as exc:
            gr.Warning(str(exc))
            return gr.skip(), gr.skip()
        gr.Info("Conversation deleted.")
        return self.saved_choices(), None if current == conversation_id else current

    def show(self, answer: Answer, turn: int, n: int | None, show_scores: bool) -> tuple[Any, ...]:
        """Sources, the source picker, the context panel and the quote spans for one answer,
        with source `n` (or the first) opened in context."""
        choices = present.source_choices(answer)
        cards = answer.citations or answer.related
        spans = {c.passage_id: list(c.span) for c in cards}
        opened = next((c.passage_id for c in cards if c.n == n), choices[0][1] if choices else None)
        context_html = self.context(opened, spans) if opened else ""
        sources_html = present.sources_html(answer, show_scores, chosen=n)
        return sources_html, gr.update(choices=choices, value=opened), context_html, spans, turn

    def show_turn(self, answers: list[Answer], show_scores: bool, evt: gr.SelectData) -> tuple[Any, ...]:
        """Selecting a message shows the sources of its answer."""
        index = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        turn = int(index) // 2
        if not 0 <= turn < len(answers):
            return tuple(gr.skip() for _ in range(PANEL_OUTPUTS))
        return self.show(answers[turn], turn, None, show_scores)

    def open_citation(self, target: str, answers: list[Answer], show_scores: bool) -> tuple[Any, ...]:
        """A click on marker [n] of answer `turn` (the page script writes "turn-n-nonce")."""
        try:
            turn, n = (int(part) for part in target.split("-")[:2])
            answer = answers[turn]
        except (ValueError, IndexError):
            return tuple(gr.skip() for _ in range(PANEL_OUTPUTS))
        return self.show(answer, turn, n, show_scores)

    def show_context(self, passage_id: str | None, spans: dict[str, list[int]]) -> str:
        return self.context(passage_id, spans) if passage_id else ""

    def context(self, passage_id: str, spans: dict[str, list[int]]) -> str:
        try:
            span = spans.get(passage_id)
            return present.context_html(self.engine.context(passage_id), (span[0], span[1]) if span else None)
        except QAError as exc:
            raise gr.Error(str(exc)) from exc

    def copy_text(self, answers: list[Answer], shown: int, whole: bool) -> str:
        if not answers:
            gr.Warning("Nothing to copy yet: ask a question first.")
            return gr.skip()
        return conversation.conversation_text(answers) if whole else conversation.plain_text(answers[shown])

    def export(self, answers: list[Answer], form: str) -> Any:
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

    def reset(self) -> tuple[Any, ...]:
        """A new, empty conversation (the question being typed is kept)."""
        return [], [], "", gr.update(choices=[], value=None), "", {}, 0, None, self.saved_choices()
