"""One diff and one delta plan for the folder sync and the named-file update."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qa.articles import Article
from qa.engine import Engine
from qa.index.format import ArticleState
from qa.index.plan import Changes, delta_limit, diff, plan_delta, stamps
from qa.index.store import IndexStore
from tests.conftest import write


def article(article_id: str, text: str) -> Article:
    return Article(article_id, f"{article_id}.txt", None, None, None, (text,))


def test_diff_names_added_changed_and_removed() -> None:
    kept, edited, new = article("kept", "Same."), article("edited", "New words."), article("new", "Fresh.")
    known = {"kept": kept.content_hash, "edited": "old hash", "gone": "x", "deleted": "y"}
    changes = diff(known, {"kept": kept, "edited": edited, "new": new, "deleted": None})
    assert changes == Changes(added=["new"], changed=["edited"], removed=["deleted", "gone"])
    assert changes.fresh == {"new", "edited"}
    assert not diff({"kept": kept.content_hash}, {"kept": kept})


def test_stamps_keep_the_time_of_unchanged_articles() -> None:
    known = {"a": ArticleState("h", "2021-06-28T00:00:00+00:00", "a.txt")}
    found = stamps(["a", "b"], frozenset({"b"}), known)
    assert found["a"] == "2021-06-28T00:00:00+00:00"
    assert found["b"] > found["a"]


def test_delta_limit_grows_with_the_base() -> None:
    assert delta_limit(10) == delta_limit(0) > 0
    assert delta_limit(10**7) == 10**6


def test_plan_writes_only_what_the_base_lacks(corpus: Path, make_engine: Callable[..., Engine]) -> None:
    for name in ("a", "b", "c"):
        write(corpus, f"{name}.txt", f"Story {name}\n\nParagraph one of {name} says something.\n\nAnd a second.")
    engine = make_engine(corpus)
    engine.index()
    previous = IndexStore(engine.settings.index_dir).open()
    try:
        b2 = article("b", "B was rewritten.")
        # A sync looks at every article: "a" and "c", gone from the corpus, are hidden.
        written, base = plan_delta(previous, {"a": None, "b": b2}, whole=True, articles=2, max_words=100) or ([], None)
        assert [a.article_id for a in written] == ["b"]
        assert base is not None
        assert base.hidden == ["a", "b", "c"]
        # An update looks only at the named files: "c" is not named, so it stays.
        written, base = plan_delta(previous, {"b": b2}, whole=False, articles=3, max_words=100) or ([], None)
        assert base is not None
        assert base.hidden == ["b"]
        assert base.live_base_passages == previous.manifest.base_passages - base.hidden_passages
    finally:
        previous.close()
