"""The named JSON endpoints, /ask and /search: what `qa ask --json` and `qa search --json` print."""

from __future__ import annotations

import math
from typing import Any

import gradio as gr

from qa.engine import MAX_K, Engine
from qa.errors import QAError, QueryError
from qa.filters import Filter
from qa.followup import parse_history


class Api:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ask(
        self,
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
            return self.engine.ask(question, history=parse_history(history), where=where).to_dict()
        except QAError as exc:
            raise gr.Error(str(exc)) from exc

    def search(
        self,
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
            return self.engine.search(query, k=whole(k), where=where).to_dict()
        except QAError as exc:
            raise gr.Error(str(exc)) from exc


def whole(k: object) -> int:
    """k as an int; JSON gives numbers as floats, and NaN, infinity or 2.5 are no count."""
    if isinstance(k, bool) or not isinstance(k, int | float) or not math.isfinite(k) or k != int(k):
        raise QueryError(f"k must be a whole number from 1 to {MAX_K}, got {k!r}")
    return int(k)
