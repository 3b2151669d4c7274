"""Score answers on question files, against two naive baselines measured in the same run.

Baselines answer with the single top passage of dense-only (FAISS) or BM25-only search for
the question as typed, as a five-line script would, and never abstain.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa.engine import Engine
from qa.errors import ConfigError
from qa.followup import Turn
from qa.index.format import CORRUPT, LOCK, PassageRecord
from qa.spans import normalize_answer

SYSTEMS = ("corpus-qa", "dense top-1", "BM25 top-1")
_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "‐": "-", "\u00a0": " "})


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    question: str
    history: list[str] = field(default_factory=list)
    answer_all: list[list[str]] = field(default_factory=list)
    support: list[tuple[str, str]] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return self.kind != "abstain"


@dataclass(frozen=True)
class Outcome:
    """What one system did with one question."""

    question: Question
    answer: str
    answered: bool
    cited: list[tuple[str, str]]
    """(article_id, paragraph text) of each citation."""
    top5: list[tuple[str, str]]
    spans: list[str] = field(default_factory=list)
    """The answer spans the system extracted (none for the baselines)."""


@dataclass(frozen=True)
class Scores:
    """Shares from 0 to 1; None where no question of the needed kind was asked."""

    recall_at_5: float | None
    accuracy: float | None
    citation_precision: float | None
    abstention: float | None
    false_abstention: float | None
    exact: float | None = None
    """Share of answerable questions whose extracted answer span is a gold answer,
    SQuAD-normalised; None for a system that extracts no spans."""


def normalize(text: str) -> str:
    """Lower-case, fold curly quotes and dashes, collapse spaces (as the question files assume)."""
    return " ".join(text.translate(_FOLD).lower().split())


def load_questions(paths: Sequence[Path]) -> list[Question]:
    questions = []
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read question file {path}: {exc.strerror}") from exc
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                questions.append(
                    Question(
                        id=str(raw["id"]),
                        kind=raw["kind"],
                        question=raw["question"],
                        history=list(raw.get("history", [])),
                        answer_all=[list(group) for group in raw.get("answer_all", [])],
                        support=[(p[0], p[1]) for p in raw.get("support", [])],
                    )
                )
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                raise ConfigError(f"{path}:{number}: not a question record ({exc})") from exc
    return questions


def is_support(question: Question, article_id: str, text: str) -> bool:
    return any(
        article_id.startswith(prefix) and normalize(phrase) in normalize(text) for prefix, phrase in question.support
    )


def contains_answer(question: Question, text: str) -> bool:
    folded = normalize(text)
    return bool(question.answer_all) and all(
        any(normalize(s) in folded for s in group) for group in question.answer_all
    )


def run_systems(engine: Engine, questions: Sequence[Question]) -> dict[str, list[Outcome]]:
    """Each question through corpus-qa and both baselines."""
    outcomes: dict[str, list[Outcome]] = {name: [] for name in SYSTEMS}
    version = engine.version()
    for q in questions:
        history = [Turn("user", h) for h in q.history]
        answer = engine.ask(q.question, history=history)
        top5 = [(r.passage.article_id, r.passage.text) for r in engine.search(q.question, k=5, history=history).results]
        cited = [(c.article_id, c.text) for c in answer.citations]
        spans = [s.answer_span for s in answer.sentences if s.answer_span]
        outcomes["corpus-qa"].append(Outcome(q, answer.answer, answer.answered, cited, top5, spans))
        vector = engine.embedder.embed([q.question])[0]
        dense = _records(version.passages([row for row, _ in version.dense_search(vector, 5)]))
        keyword = _records(version.passages([hit.row for hit in version.segments.search(q.question, 5)]))
        for name, ranked in (("dense top-1", dense), ("BM25 top-1", keyword)):
            top = ranked[:1]
            outcomes[name].append(Outcome(q, top[0][1] if top else "", bool(top), top, ranked))
    return outcomes


def _records(passages: list[PassageRecord]) -> list[tuple[str, str]]:
    return [(p.article_id, p.text) for p in passages]


def exact_answer(question: Question, spans: Sequence[str]) -> bool:
    """An extracted span equals one of the gold answers once both are SQuAD-normalised."""
    gold = {normalize_answer(a) for group in question.answer_all for a in group}
    return any(normalize_answer(span) in gold for span in spans[:1])


def score(outcomes: Sequence[Outcome], extracts_spans: bool = False) -> Scores:
    answerable = [o for o in outcomes if o.question.answerable]
    abstain = [o for o in outcomes if not o.question.answerable]
    answered = [o for o in answerable if o.answered]
    precisions = [
        sum(is_support(o.question, a, t) or contains_answer(o.question, t) for a, t in o.cited) / len(o.cited)
        for o in answered
        if o.cited
    ]
    return Scores(
        recall_at_5=_share(any(is_support(o.question, a, t) for a, t in o.top5) for o in answerable),
        accuracy=_share(o.answered and contains_answer(o.question, o.answer) for o in answerable),
        citation_precision=sum(precisions) / len(precisions) if precisions else None,
        abstention=_share(not o.answered for o in abstain),
        false_abstention=_share(not o.answered for o in answerable),
        exact=_share(o.answered and exact_answer(o.question, o.spans) for o in answerable) if extracts_spans else None,
    )


def _share(flags: Iterator[bool] | Sequence[bool]) -> float | None:
    values = list(flags)
    return sum(values) / len(values) if values else None


def misses(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """Questions answered wrongly: wrong or missing answer, or an answer where none exists."""
    return [
        o
        for o in outcomes
        if (o.question.answerable and not (o.answered and contains_answer(o.question, o.answer)))
        or (not o.question.answerable and o.answered)
    ]


def format_table(scores: dict[str, Scores], questions: Sequence[Question], exact: bool = False) -> str:
    header = f"{'system':<12} {'recall@5':>9} {'accuracy':>9} {'cite prec':>10} {'abstain':>8} {'false abst':>11}"
    header += f" {'exact':>6}" if exact else ""
    widths = (9, 9, 10, 8, 11, 6) if exact else (9, 9, 10, 8, 11)
    rows = [header, "-" * len(header)]
    for name, s in scores.items():
        figures = (s.recall_at_5, s.accuracy, s.citation_precision, s.abstention, s.false_abstention, s.exact)
        cells = [("-" if f is None else f"{f:.2f}").rjust(width) for f, width in zip(figures, widths, strict=False)]
        rows.append(f"{name:<12} {' '.join(cells)}")
    answerable = sum(q.answerable for q in questions)
    rows.append(f"{len(questions)} questions: {answerable} answerable, {len(questions) - answerable} to abstain on")
    return "\n".join(rows)


@contextmanager
def scratch_engine(engine: Engine, articles: Sequence[Path]) -> Iterator[Engine]:
    """A copy of the corpus and index with `articles` added and indexed incrementally."""
    with tempfile.TemporaryDirectory(prefix="qa-eval-") as folder:
        corpus, index = Path(folder) / "corpus", Path(folder) / "index"
        engine.version()
        shutil.copytree(engine.settings.corpus_dir, corpus)
        shutil.copytree(engine.settings.index_dir, index, ignore=shutil.ignore_patterns(LOCK, CORRUPT))
        for article in articles:
            if not article.is_file():
                raise ConfigError(f"article to add {article} does not exist")
            shutil.copy2(article, corpus / article.name)
        settings = replace(engine.settings, corpus_dir=corpus, index_dir=index)
        scratch = Engine(settings, embedder=engine.embedder, answer_model=engine.answer_model)
        scratch.index()
        yield scratch
