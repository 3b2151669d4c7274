from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client

from tests.conftest import ROOT, project_env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("app")
    port = free_port()
    env = project_env(QA_CORPUS_DIR=str(ROOT / "corpus"), QA_INDEX_DIR=str(folder / "index"))
    server = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"app exited: {server.stderr.read() if server.stderr else ''}")
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("app did not start within 120 s")
    yield url
    server.terminate()
    server.wait(timeout=30)


def test_app_serves_on_loopback(app_url: str) -> None:
    assert app_url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(app_url, timeout=10) as response:
        assert response.status == 200


def test_search_endpoint(app_url: str, tmp_path: Path) -> None:
    client = Client(app_url, verbose=False, download_files=str(tmp_path))
    data = client.predict("Which aircraft carried out the strikes?", 5, api_name="/search")
    assert "F-15" in data["results"][0]["text"]
