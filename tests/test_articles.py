from __future__ import annotations

import hashlib
import itertools
import os
import threading
from pathlib import Path

from qa.articles import Article, ArticleMemo, SkippedFile, article_id_for, build_article, scan_corpus
from qa.reader import MAX_FILE_BYTES, RawArticle
from tests.conftest import SEED_CORPUS, aged, write


def seed(article_id: str) -> Article:
    return next(a for a in scan_corpus(SEED_CORPUS).articles if a.article_id == article_id)


def reasons(article: Article) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for d in article.dropped:
        found.setdefault(d.reason, []).append(d.text)
    return found


def test_seed_ids_are_file_names_without_extension() -> None:
    scan = scan_corpus(SEED_CORPUS)
    assert [a.article_id for a in scan.articles] == [p.stem for p in sorted(SEED_CORPUS.glob("*.txt"))]
    assert scan.skipped == []


def test_title_on_first_line() -> None:
    article = seed("000_79f4fbd8b7a31498")
    assert article.title == "U.S. carries out air strikes against Iran-backed militia in Iraq, Syria"
    assert article.paragraphs[0].startswith("WASHINGTON")


def test_untitled_scrape_has_no_title_but_a_display_title() -> None:
    article = seed("002_dcffd605a21db99b")
    assert article.title is None
    assert article.display_title.startswith("Since assuming office, US President Joe Biden")
    assert article.display_title.endswith("…")


def test_title_found_under_site_chrome() -> None:
    article = seed("004_3c879346b788183e")
    assert article.title == "U.S. Carries Out Airstrikes in Iraq and Syria"
    assert reasons(article)["site chrome"] == [
        "Skip to content",
        "Home » U.S. Carries Out Airstrikes in Iraq and Syria",
    ]
    assert reasons(article)["empty byline"] == ["• by"]
    assert article.paragraphs[0].startswith("WASHINGTON — The United States carried out airstrikes")


def test_byline_gives_source_and_date() -> None:
    article = seed("003_f229a520fc9a1687")
    assert (article.source, article.date) == ("RFE/RL", "2021-06-27")
    assert not any("RFE/RL June" in p for p in article.paragraphs)


def test_seed_boilerplate_is_dropped_and_inspectable() -> None:
    dropped = {d.text for a in scan_corpus(SEED_CORPUS).articles for d in a.dropped}
    for line in (
        "gsg",
        "Read more...",
        "Back to top button",
        "Source link",
        "Leave a Reply",
        "NEWSLETTER",
        "John Pike",
    ):
        assert line in dropped
    kept = " ".join(p for a in scan_corpus(SEED_CORPUS).articles for p in a.paragraphs)
    for fragment in ("REUTERS/Carlos Barria", "JEFF OK", "Copyright", "contributed reporting", "mailing list"):
        assert fragment not in kept


def test_stray_fragment_inside_paragraph_is_cut_and_recorded() -> None:
    article = seed("001_7c084e74566a1192")
    assert article.paragraphs[3].endswith("among civilians or militants, the official said.")
    assert "JEFF OK’D" in reasons(article)["stray fragment"]


def test_repeated_paragraphs_are_removed() -> None:
    article = seed("002_dcffd605a21db99b")
    assert len(reasons(article)["repeated paragraph"]) == 2
    assert len({p.casefold() for p in article.paragraphs}) == len(article.paragraphs)
    assert sum("targeted operational and weapons storage sites" in p for p in article.paragraphs) == 1


def test_subheading_inside_the_body_is_kept() -> None:
    assert "The threat of drones is the main concern for the military" in seed("001_7c084e74566a1192").paragraphs


def test_content_hash_changes_only_with_indexed_content() -> None:
    raw = RawArticle(["Headline here", "Body paragraph one.", "Body paragraph two."])
    a, b = build_article("x", "x.txt", raw), build_article("y", "y.txt", raw)
    assert a.content_hash == b.content_hash
    changed = build_article("x", "x.txt", RawArticle(["Headline here", "Body paragraph one.", "Changed."]))
    assert changed.content_hash != a.content_hash


def test_scan_skips_bad_files_with_reasons_and_keeps_the_rest(corpus: Path) -> None:
    write(corpus, "good.txt", "A headline\n\nThe strikes hit three sites, officials said.")
    write(corpus, "empty.txt", "")
    write(corpus, "binary.txt", b"\x00\x01\x02PK\x03\x04" * 50)
    write(corpus, "chrome.html", "<html><body><nav>Home</nav></body></html>")
    write(corpus, "notes.pdf", "%PDF-1.4")
    write(corpus, "good.md", "# Same id as good.txt\n\nText.")
    write(corpus, ".hidden.txt", "ignored")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in corpus.rglob("*") if p.is_file()}
    scan = scan_corpus(corpus)
    assert [a.article_id for a in scan.articles] == ["good"]
    skipped = {s.path: s.reason for s in scan.skipped}
    assert skipped["empty.txt"] == "file is empty"
    assert "binary" in skipped["binary.txt"]
    assert "no reporting left" in skipped["chrome.html"]
    assert "the PDF cannot be read" in skipped["notes.pdf"]
    assert "same article id as good.md" in skipped["good.txt"]
    assert ".hidden.txt" not in skipped
    assert before == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in corpus.rglob("*") if p.is_file()}


def test_nested_article_id_uses_forward_slashes(corpus: Path) -> None:
    path = write(corpus, "2021/june/story.md", "# T\n\nText of the story.")
    assert article_id_for(path, corpus) == "2021/june/story"


def test_scan_walks_folders_in_path_order_and_ids_match_the_public_rule(corpus: Path) -> None:
    names = ["a/b.txt", "a-b.txt", "a.b.v2.md", "2021/june/story.txt", ".git/x.txt", "d/.drafts/y.txt"]
    for name in names:
        write(corpus, name, "Officials said the strikes hit three sites near the border.")
    (corpus / "link").symlink_to(corpus / "a", target_is_directory=True)
    scan = scan_corpus(corpus)
    found = [a.article_id for a in scan.articles]
    assert found == ["2021/june/story", "a/b", "a-b", "a.b.v2"]
    assert found == [article_id_for(corpus / a.path, corpus) for a in scan.articles]


def test_date_line_under_the_title_gives_the_date() -> None:
    raw = RawArticle(["Strike hit a border post", "February 26, 2021", "WASHINGTON - The strike hit a post.", "gsg"])
    article = build_article("x", "x.txt", raw)
    assert (article.title, article.date) == ("Strike hit a border post", "2021-02-26")
    assert [d.reason for d in article.dropped] == ["title", "byline", "stray fragment"]


def test_memo_rereads_only_changed_files(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    aged(write(corpus, "a.txt", "A storm destroyed the old harbour bridge in Marlow.\n"))
    aged(write(corpus, "b.txt", "Schools in the district will stay closed until Friday.\n"))
    memo = ArticleMemo()
    first = {a.article_id: a for a in scan_corpus(corpus, memo).articles}
    write(corpus, "b.txt", "Schools in the district will reopen on Monday after all.\n")
    second = {a.article_id: a for a in scan_corpus(corpus, memo).articles}
    assert second["a"] is first["a"]
    assert "reopen" in second["b"].paragraphs[0]
    write(corpus, "a.txt", b"")
    scan = scan_corpus(corpus, memo)
    assert [s.path for s in scan.skipped] == ["a.txt"]


def test_a_short_line_standing_alone_at_the_top_is_the_title(corpus: Path) -> None:
    body = "The 1973 oil crisis began in October when OAPEC members proclaimed an oil embargo.\n"
    write(corpus, "crisis.txt", f"1973 oil crisis\n\n{body}")
    write(corpus, "force.txt", f"Force\n\n{body}")
    write(corpus, "glued.txt", f"Force\n{body}")
    articles = {a.article_id: a for a in scan_corpus(corpus).articles}
    assert articles["crisis"].title == "1973 oil crisis"
    assert articles["force"].title == "Force"
    assert articles["glued"].title is None
    assert articles["force"].paragraphs == (body.strip(),)


def test_links_out_loops_and_pipes_are_skipped_with_their_reasons(tmp_path: Path, corpus: Path) -> None:
    """Nothing outside the folder gets in, nothing blocks, and the rest is still read."""
    (tmp_path / "outside.txt").write_text("Secret\n\nA file nobody put in the corpus.\n")
    write(corpus, "ok.txt", "Port report\n\nThe port of Aqaba reopened.\n")
    write(corpus, "sub/inside.txt", "Rail report\n\nTrains to Amman ran late.\n")
    (corpus / "out.txt").symlink_to(tmp_path / "outside.txt")
    (corpus / "up").symlink_to(tmp_path)
    (corpus / "here").symlink_to(corpus / "sub")
    (corpus / "copy.txt").symlink_to(corpus / "sub" / "inside.txt")
    (corpus / "gone.txt").symlink_to(corpus / "missing.txt")
    (corpus / "loop1.txt").symlink_to(corpus / "loop2.txt")
    (corpus / "loop2.txt").symlink_to(corpus / "loop1.txt")
    os.mkfifo(corpus / "pipe.txt")
    scan = scan_corpus(corpus)
    assert [a.article_id for a in scan.articles] == ["copy", "ok", "sub/inside"], "a link inside is followed"
    reasons = {s.path: s.reason for s in scan.skipped}
    assert reasons["out.txt"].startswith("a link to outside the corpus folder")
    assert reasons["up"].startswith("a link to outside the corpus folder")
    assert reasons["here"].startswith("a link to a folder")
    assert reasons["gone.txt"].startswith("a link to nothing that can be read")
    assert "symbolic links" in reasons["loop1.txt"]
    assert reasons["pipe.txt"].startswith("not a regular file")
    assert all("Secret" not in p for a in scan.articles for p in a.paragraphs)


def test_a_file_past_the_limit_is_skipped_without_being_read(corpus: Path) -> None:
    big = corpus / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    scan = scan_corpus(corpus)
    assert scan.articles == []
    assert "the limit is" in scan.skipped[0].reason


def test_a_name_that_is_not_utf8_is_skipped_and_printable(corpus: Path) -> None:
    """Such a name could not be stored (SQLite text is UTF-8): it stopped the whole index."""
    folder = os.path.join(os.fsencode(corpus), b"caf\xe9")
    os.mkdir(folder)
    with open(os.path.join(folder, b"report.txt"), "wb") as handle:
        handle.write(b"Cafe report\n\nThe cafe opened on Monday.\n")
    write(corpus, "ok.txt", "Port report\n\nThe port of Aqaba reopened.\n")
    scan = scan_corpus(corpus)
    assert [a.article_id for a in scan.articles] == ["ok"]
    assert scan.skipped == [SkippedFile("caf\\xe9", "its name is not valid UTF-8; rename it")]


def test_a_file_rewritten_while_scans_run_is_read_whole_once_it_is_left_alone(tmp_path: Path) -> None:
    """Another program overwrites a file in place, and now and then deletes it and saves it
    anew, while scans run: scans never fail, and the first scan after the writing stops
    has the file's last text. (On a kernel with fine-grained file times every write moves
    the stamp; the coarse-clock case is the next test.)"""
    corpus = tmp_path / "corpus"
    versions = [("Old report. " * 40_000).strip(), ("New story!! " * 40_000).strip()]
    path = write(corpus, "a.txt", versions[0])
    memo = ArticleMemo(tmp_path / "articles.sqlite")
    stop = threading.Event()
    turns = itertools.count()

    def rewrite() -> None:
        while not stop.is_set():
            turn = next(turns)
            text = versions[turn % 2]
            if turn % 5 == 4:
                path.unlink()
                (corpus / "a.tmp").write_text(text)
                (corpus / "a.tmp").rename(path)
                continue
            with path.open("r+") as handle:
                for start in range(0, len(text), 1 << 16):
                    handle.write(text[start : start + (1 << 16)])

    writer = threading.Thread(target=rewrite)
    writer.start()
    try:
        for _ in range(100):
            scan = scan_corpus(corpus, memo)
            assert len(scan.articles) + len(scan.skipped) <= 1
    finally:
        stop.set()
        writer.join()
    last = path.read_text()
    assert last in versions
    for reader in (memo, ArticleMemo(tmp_path / "articles.sqlite")):
        (article,) = scan_corpus(corpus, reader).articles
        assert " ".join(article.paragraphs) == last


def test_a_file_changed_within_the_same_clock_tick_is_read_again(tmp_path: Path) -> None:
    """Where file times are coarse (FAT's 2 s, older kernels' few ms), a write just after a
    scan can leave the stamp as it was; a file that new is not remembered by its stamp."""
    corpus = tmp_path / "corpus"
    path = write(corpus, "a.txt", "The ferry left at nine.\n")
    memo = ArticleMemo(tmp_path / "articles.sqlite")
    assert "nine" in scan_corpus(corpus, memo).articles[0].paragraphs[0]
    stamp = path.stat()
    path.write_text("The ferry left at five.\n")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    for reader in (memo, ArticleMemo(tmp_path / "articles.sqlite")):
        assert "five" in scan_corpus(corpus, reader).articles[0].paragraphs[0]
    aged(path)
    scan_corpus(corpus, memo)
    assert scan_corpus(corpus, memo).articles[0] is scan_corpus(corpus, memo).articles[0], "then it is"
