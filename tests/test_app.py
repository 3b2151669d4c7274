"""The served app through its HTTP API, as other tools and gradio_client use it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from qa.reader import MAX_FILE_BYTES
from tests.conftest import ROOT, SEED_CORPUS, serve_app, write

PASSWORD = "correct horse"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("app")
    shutil.copytree(SEED_CORPUS, folder / "corpus")
    with serve_app(folder / "corpus", folder / "index", QA_ADMIN_PASSWORD=PASSWORD) as server:
        yield server.url, folder / "corpus"


@pytest.fixture(scope="module")
def client(app: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Client:
    return Client(app[0], verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))


def test_app_serves_on_loopback(app: tuple[str, Path]) -> None:
    assert app[0].startswith("http://127.0.0.1:")
    with urllib.request.urlopen(app[0], timeout=10) as response:
        assert response.status == 200


def test_ask_endpoint_returns_the_cli_json(client: Client) -> None:
    data = client.predict("Which aircraft carried out the strikes?", [], api_name="/ask")
    assert data["answered"] is True
    assert "F-15" in data["answer"]
    used = {int(n) for n in re.findall(r"\[(\d+)\]", data["answer"])}
    assert used == {c["n"] for c in data["citations"]}
    for citation in data["citations"]:
        start, end = citation["span"]
        assert citation["text"][start:end] == citation["quote"]


def test_ask_endpoint_follows_history(client: Client) -> None:
    history = [{"role": "user", "content": "Who is Yair Lapid?"}]
    data = client.predict("What did he say about the accord?", history, api_name="/ask")
    assert "serious reservations" in data["answer"]


def test_ask_endpoint_reports_bad_questions(client: Client) -> None:
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", [], api_name="/ask")


def test_ask_endpoint_takes_the_filters(client: Client) -> None:
    only = "001_7c084e74566a1192"
    data = client.predict("Which aircraft carried out the strikes?", [], [only], None, None, None, api_name="/ask")
    assert {c["article_id"] for c in data["citations"]} == {only}
    with pytest.raises(Exception, match="YYYY-MM-DD"):
        client.predict("Which aircraft?", [], None, None, "yesterday", None, api_name="/ask")


def test_search_endpoint(client: Client) -> None:
    data = client.predict("Which aircraft carried out the strikes?", 5, api_name="/search")
    assert "F-15" in data["results"][0]["text"]


def test_corpus_changes_need_the_password(client: Client, app: tuple[str, Path], tmp_path: Path) -> None:
    article = write(tmp_path, "wire.txt", "Divers found a sunken ferry named Amber Gull near Basra.\n")
    before = sorted(p.name for p in app[1].iterdir())
    with pytest.raises(Exception, match="wrong admin password"):
        client.predict([handle_file(str(article))], "guess", api_name="/add")
    with pytest.raises(Exception, match="wrong admin password"):
        client.predict("", api_name="/rebuild")
    assert sorted(p.name for p in app[1].iterdir()) == before
    report = client.predict([handle_file(str(article))], PASSWORD, api_name="/add")
    assert "wire.txt saved" in report
    assert (app[1] / "wire.txt").exists()
    assert "Amber Gull" in client.predict("What did divers find near Basra?", [], api_name="/ask")["answer"]


def test_upload_and_remove_index_only_their_files(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(SEED_CORPUS, corpus)
    article = write(tmp_path / "upload", "ferry.txt", "Divers found a sunken ferry named Amber Gull near Basra.\n")
    with serve_app(corpus, index, QA_ADMIN_PASSWORD=PASSWORD) as server:
        client = Client(server.url, verbose=False)
        write(corpus, "dropped.txt", "Weather\n\nA storm hit Marlow and the bridge fell.\n")
        report = client.predict([handle_file(str(article))], PASSWORD, api_name="/add")
        assert "1 added, 0 changed, 0 removed, 5 unchanged" in report
        assert "dropped" not in report, "a file dropped into the folder waits for a sync"
        report = client.predict("ferry", PASSWORD, api_name="/remove")
        assert "0 added, 0 changed, 1 removed" in report
        assert not (corpus / "ferry.txt").exists()
        answer = client.predict("What did divers find near Basra?", [], api_name="/ask")
        assert "Amber Gull" not in answer["answer"]
        assert "added: dropped" in client.predict(PASSWORD, api_name="/rebuild")


def test_an_added_article_survives_a_killed_server(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(SEED_CORPUS, corpus)
    article = write(tmp_path / "upload", "ferry.txt", "Divers found a sunken ferry named Amber Gull near Basra.\n")
    with serve_app(corpus, index, QA_ADMIN_PASSWORD=PASSWORD) as server:
        report = Client(server.url, verbose=False).predict([handle_file(str(article))], PASSWORD, api_name="/add")
        assert "ferry.txt saved" in report
        os.kill(server.pid, signal.SIGKILL)
    assert (corpus / "ferry.txt").read_bytes() == article.read_bytes()
    with serve_app(corpus, index) as server:
        answer = Client(server.url, verbose=False).predict("What did divers find near Basra?", [], api_name="/ask")
    assert "Amber Gull" in answer["answer"]


def test_oversized_upload_is_refused_by_the_server(app: tuple[str, Path]) -> None:
    boundary = "qa-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\n".encode()
        + b"x" * (MAX_FILE_BYTES + 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        app[0] + "gradio_api/upload", data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=30)
    assert error.value.code == 413


def test_endpoints_cannot_skip_the_queue(app: tuple[str, Path]) -> None:
    request = urllib.request.Request(
        app[0] + "gradio_api/run/ask",
        data=json.dumps({"data": ["Which aircraft carried out the strikes?", []]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=30)
    assert error.value.code in (403, 404, 405)


def fetch(url: str, method: str = "GET", data: bytes | None = None, **headers: str) -> tuple[int, Message]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


def status_of(url: str, method: str = "GET", data: bytes | None = None, **headers: str) -> int:
    return fetch(url, method, data, **headers)[0]


def test_cross_origin_requests_are_refused(app: tuple[str, Path]) -> None:
    join = app[0] + "gradio_api/queue/join"
    body = json.dumps({"data": ["x", []], "fn_index": 0, "session_hash": "s"}).encode()
    headers = {"Content-Type": "application/json", "Origin": "http://evil.example"}
    assert status_of(join, "POST", body, **headers) == 403
    assert status_of(app[0], Origin="http://evil.example") == 403
    assert status_of(app[0], Origin=app[0].rstrip("/")) == 200


@pytest.mark.parametrize(
    "probe",
    [
        "../../../../etc/passwd",
        "/etc/passwd",
        "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "{corpus}/000_79f4fbd8b7a31498.txt",
        "{index}/cache.sqlite",
        "{index}/CURRENT",
        "{root}/app.py",
    ],
)
def test_file_route_serves_nothing_of_ours(app: tuple[str, Path], probe: str) -> None:
    corpus = app[1]
    path = probe.format(corpus=corpus, index=corpus.parent / "index", root=ROOT)
    assert status_of(app[0] + "gradio_api/file=" + path) in (403, 404)


def test_uploaded_html_is_never_served_back_as_html(app: tuple[str, Path]) -> None:
    boundary = "qa-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="page.html"\r\n'
        "Content-Type: text/html\r\n\r\n<html><script>alert(1)</script></html>\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    request = urllib.request.Request(
        app[0] + "gradio_api/upload", data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        (stored,) = json.loads(response.read())
    status, headers = fetch(app[0] + "gradio_api/file=" + stored)
    served_as_page = status == 200 and "text/html" in headers.get("Content-Type", "")
    assert not served_as_page or headers.get("Content-Disposition", "").startswith("attachment")
    assert "sha256-" not in headers.get("Content-Security-Policy", ""), "its scripts would be refused anyway"


@pytest.mark.parametrize("path", ["", "config", "gradio_api/info", "no/such/page"])
def test_every_response_carries_the_security_headers(app: tuple[str, Path], path: str) -> None:
    _, headers = fetch(app[0] + path)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    _, refused = fetch(app[0] + path, Origin="http://evil.example")
    assert refused["X-Content-Type-Options"] == "nosniff", "refusals too"


def test_a_forwarded_for_header_never_makes_a_client_local(tmp_path: Path) -> None:
    """Without a password only loopback may change the corpus. A proxy on this machine that
    forwards a remote client's address makes the request remote, and no header makes a
    request local: the server must itself listen on loopback, where only this machine reaches it."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    with serve_app(corpus, tmp_path / "index") as server:
        forwarded = Client(server.url, verbose=False, headers={"X-Forwarded-For": "203.0.113.9"})
        with pytest.raises(Exception, match="only from this machine"):
            forwarded.predict("", api_name="/rebuild")
        local = Client(server.url, verbose=False, headers={"X-Forwarded-For": "127.0.0.1"})
        assert "articles" in local.predict("", api_name="/rebuild")


@pytest.mark.parametrize(
    ("question", "outcome"),
    [
        ("", "empty"),
        (" \t\n ", "empty"),
        ("strikes? " * 12_000, "characters"),
        ("\x00\x07Which aircraft\x1b carried out the strikes?", "answer"),
        ("¿Qué aviones llevaron a cabo los ataques?", "answer"),
    ],
)
def test_odd_questions_get_an_answer_or_a_clear_message(client: Client, question: str, outcome: str) -> None:
    if outcome == "answer":
        assert client.predict(question, [], api_name="/ask")["answer"]
    else:
        with pytest.raises(Exception, match=outcome):
            client.predict(question, [], api_name="/ask")


@pytest.mark.parametrize("k", [0, -1, 10**9, 2.5])
def test_search_refuses_a_k_that_is_no_count(client: Client, k: float) -> None:
    with pytest.raises(Exception, match="k must be"):
        client.predict("strikes", k, api_name="/search")


def test_long_histories_and_bad_entries_are_answered_quickly(client: Client) -> None:
    history = [{"role": "user", "content": "Who is Yair Lapid?"}] * 10_000
    started = time.perf_counter()
    answer = client.predict("What did he say about the accord?", history, api_name="/ask")
    assert "Lapid" in answer["searched_for"]
    assert time.perf_counter() - started < 30
    with pytest.raises(Exception, match=r"bad history entry \{'content': 'y+\.\.\.y+', 'role': 'x'\}"):
        client.predict("Who?", [{"role": "x", "content": "y" * 1_000_000}], api_name="/ask")


WRONG_VALUES = [None, 12345, {"text": "strikes"}, ["strikes"], True]


def test_every_endpoint_refuses_wrong_types_with_a_message(client: Client, app: tuple[str, Path]) -> None:
    """Each endpoint `view_api()` lists, every parameter given a value of the wrong kind: a
    message naming the problem (never Gradio's bare "raised an exception"), nothing in the
    corpus changed, and the server still answering."""
    before = sorted(p.name for p in app[1].iterdir())
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    refused: dict[str, set[str]] = {}
    bare = []
    for name, info in endpoints.items():
        for wrong in WRONG_VALUES:
            started = time.perf_counter()
            try:
                client.predict(*[wrong] * len(info["parameters"]), api_name=name)
            except Exception as exc:
                if "has not enabled verbose error reporting" in str(exc):
                    bare.append((name, wrong))
                refused.setdefault(name, set()).add(str(exc)[:80])
            assert time.perf_counter() - started < 30, (name, wrong)
    assert not bare, f"refused without saying why: {bare}"
    assert set(refused) == set(endpoints), f"endpoints that took every wrong value: {set(endpoints) - set(refused)}"
    assert sorted(p.name for p in app[1].iterdir()) == before
    assert client.predict("Which aircraft carried out the strikes?", [], api_name="/ask")["answered"]


def test_a_10_mb_question_is_refused_quickly(app: tuple[str, Path], client: Client) -> None:
    started = time.perf_counter()
    with pytest.raises(Exception, match=r"characters|too large|413"):
        client.predict("strikes " * 1_310_720, [], api_name="/ask")
    assert time.perf_counter() - started < 30
    assert client.predict("Which aircraft carried out the strikes?", [], api_name="/ask")["answered"]
