"""One suite, run on every store: the folder store, a real Qdrant Edge shard, and
qdrant-client's code path for a Qdrant server (against qdrant-client's local mode, the
same client API: no Qdrant server installs on these machines)."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.engine import Engine
from qa.errors import ConfigError, IndexBusyError, StoreUnavailableError
from qa.filters import Filter
from qa.qdrant.server import ClientBackend
from qa.qdrant.store import QdrantStore
from qa.settings import STORES, Settings
from qa.storage import open_store
from qa.vectors import Embedder
from tests.conftest import SEED_CORPUS, write

ARTICLES = {
    "harbor.txt": (
        "Harbor strike report\n\n"
        "The port of Aqaba reopened on Tuesday after a two-day closure.\n\n"
        "Dock workers said 40 ships had waited offshore during the closure."
    ),
    "storm.txt": (
        "Storm damage report\n\n"
        "A storm flooded the lower town of Zarqa on Monday night.\n\n"
        "Officials counted 120 damaged homes by Wednesday."
    ),
}


KINDS = (*STORES, "qdrant-client")
pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect in the local Qdrant")


def store_engine(kind: str, corpus_dir: Path, index_dir: Path, embedder: Embedder) -> Engine:
    """An engine on `kind`; "qdrant-client" is the server store over a local client."""
    if kind != "qdrant-client":
        return Engine(Settings(corpus_dir=corpus_dir, index_dir=index_dir, store=kind), embedder=embedder)
    from qdrant_client import QdrantClient

    backend = ClientBackend(QdrantClient(path=str(index_dir / "qdrant-local")), "corpus_qa", "local Qdrant")
    store = QdrantStore(backend, index_dir / "cache.sqlite")
    return Engine(Settings(corpus_dir=corpus_dir, index_dir=index_dir), embedder=embedder, store=store)


@pytest.fixture(params=KINDS)
def make_store_engine(request: pytest.FixtureRequest, tmp_path: Path, embedder: Embedder) -> Callable[[Path], Engine]:
    return lambda corpus_dir: store_engine(request.param, corpus_dir, tmp_path / "index", embedder)


@pytest.fixture
def indexed(corpus: Path, make_store_engine: Callable[[Path], Engine]) -> Engine:
    for name, text in ARTICLES.items():
        write(corpus, name, text)
    engine = make_store_engine(corpus)
    engine.index()
    return engine


def top_passage(engine: Engine, question: str, where: Filter | None = None) -> str:
    return engine.search(question, k=3, where=where).results[0].passage.passage_id


def test_search_finds_by_meaning_and_by_rare_word(indexed: Engine) -> None:
    assert top_passage(indexed, "Which port opened again?") == "harbor#1"
    hits = indexed.search("Zarqa", k=5).results
    assert hits[0].passage.article_id == "storm"
    assert hits[0].bm25 is not None
    assert all(h.passage.article_id == "storm" for h in hits if h.bm25)


def test_answer_cites_the_passage_that_holds_it(indexed: Engine) -> None:
    answer = indexed.ask("How many homes were damaged by the storm?")
    assert "120" in answer.answer
    assert answer.citations[0].passage_id == "storm#2"
    assert [a.article_id for a in indexed.articles()] == ["harbor", "storm"]


def test_changed_article_is_replaced_and_only_new_text_embedded(indexed: Engine, corpus: Path) -> None:
    write(corpus, "storm.txt", ARTICLES["storm.txt"].replace("120 damaged homes", "95 damaged homes"))
    report = indexed.index()
    assert report.changed == ["storm"]
    assert report.embedded == 1
    passages = [p.text for p in indexed.show("storm").passages]
    assert any("95 damaged homes" in t for t in passages)
    assert not any("120" in t for t in passages)
    assert "95" in indexed.ask("How many homes were damaged by the storm?").answer
    assert indexed.index().up_to_date


def test_deleted_article_vanishes(indexed: Engine, corpus: Path) -> None:
    (corpus / "storm.txt").unlink()
    assert indexed.index().removed == ["storm"]
    assert [a.article_id for a in indexed.articles()] == ["harbor"]
    assert all(h.passage.article_id == "harbor" for h in indexed.search("storm flooded homes", k=5).results)
    assert indexed.status().passages == 2


def test_filter_limits_every_ranker_to_the_chosen_articles(indexed: Engine) -> None:
    only_harbor = Filter.parse(["harbor"])
    results = indexed.search("storm flooded homes Zarqa", k=5, where=only_harbor).results
    assert results
    assert {r.passage.article_id for r in results} == {"harbor"}
    answer = indexed.ask("How many ships waited?", where=only_harbor)
    assert "40" in answer.answer
    assert {c.article_id for c in answer.citations + answer.related} == {"harbor"}


def test_a_restarted_engine_reopens_the_index_without_embedding(
    indexed: Engine, corpus: Path, make_store_engine: Callable[[Path], Engine]
) -> None:
    name = indexed.status().version
    indexed.close()
    again = make_store_engine(corpus)
    assert again.index().up_to_date
    assert again.status().version == name
    assert top_passage(again, "Which port opened again?") == "harbor#1"


def test_every_store_gives_the_same_answers(tmp_path: Path, embedder: Embedder) -> None:
    shutil.copytree(SEED_CORPUS, tmp_path / "corpus")
    engines = [store_engine(kind, tmp_path / "corpus", tmp_path / kind, embedder) for kind in KINDS]
    for question in ("How many US troops are in Iraq?", "Who ordered the strikes?", "What did Iran say?"):
        folder, *others = (engine.ask(question) for engine in engines)
        for other in others:
            assert other.answer == folder.answer
            assert [c.passage_id for c in other.citations] == [c.passage_id for c in folder.citations]


def test_unknown_store_is_refused() -> None:
    with pytest.raises(ConfigError, match="qdrant-edge"):
        Settings(store="pinecone")
    assert Settings.from_env({"QA_STORE": "qdrant-edge"}).store == "qdrant-edge"
    with pytest.raises(ConfigError, match="qdrant://host:port/collection"):
        open_store("qdrant://", Path("index"))
    with pytest.raises(ConfigError, match="bad port"):
        open_store("qdrant://localhost:port", Path("index"))


def test_a_server_address_names_host_port_and_collection(tmp_path: Path) -> None:
    settings = Settings.from_env({"QA_STORE": "qdrants://db.example:7000/news", "QA_QDRANT_API_KEY": "secret"})
    assert "secret" not in repr(settings)
    store = open_store(settings.store, tmp_path, settings.qdrant_api_key)
    assert isinstance(store, QdrantStore)
    assert isinstance(store.backend, ClientBackend)
    assert store.backend.collection == "news"
    assert store.backend.where == "Qdrant at db.example:7000, collection 'news'"


def test_an_unreachable_qdrant_server_is_a_clear_error(tmp_path: Path, corpus: Path, embedder: Embedder) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    write(corpus, "storm.txt", ARTICLES["storm.txt"])
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", store=f"qdrant://127.0.0.1:{port}")
    engine = Engine(settings, embedder=embedder)
    with pytest.raises(StoreUnavailableError, match=f"Qdrant at 127.0.0.1:{port}.*reachable"):
        engine.index()
    assert sorted(p.name for p in corpus.iterdir()) == ["storm.txt"]


def test_a_qdrant_shard_open_elsewhere_is_a_clear_error(tmp_path: Path, corpus: Path, embedder: Embedder) -> None:
    write(corpus, "storm.txt", ARTICLES["storm.txt"])
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", store="qdrant-edge")
    first = Engine(settings, embedder=embedder)
    first.index()
    with pytest.raises(IndexBusyError, match="open in another process"):
        Engine(settings, embedder=embedder).index()
    first.close()
    assert Engine(settings, embedder=embedder).index().up_to_date
