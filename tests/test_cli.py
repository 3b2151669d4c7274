from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pytest

from qa.cli import main
from qa.vectors import Embedder
from tests.conftest import ROOT, project_env


def run(argv: list[str], embedder: Embedder, monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out = io.StringIO()
    code = main(argv, stdout=out, embedder=embedder)
    return code, out.getvalue()


@pytest.fixture
def dirs(seed_corpus: Path, tmp_path: Path) -> list[str]:
    return ["--corpus", str(seed_corpus), "--index", str(tmp_path / "index")]


def test_index_reports_counts_then_up_to_date(dirs: list[str], embedder: Embedder, monkeypatch) -> None:
    code, out = run(["index", *dirs], embedder, monkeypatch)
    assert code == 0
    assert "5 added, 0 changed, 0 removed" in out
    assert "88 in the index, with 120 sentences" in out
    assert "120 embedded" in out
    _, out = run(["index", *dirs], embedder, monkeypatch)
    assert "up to date" in out
    assert "nothing embedded" in out


def test_index_named_files_reads_only_those(
    dirs: list[str], seed_corpus: Path, embedder: Embedder, monkeypatch, capsys
) -> None:
    run(["index", *dirs], embedder, monkeypatch)
    (seed_corpus / "later.txt").write_text("Port news\n\nA tanker docked in Umm Qasr on Friday.\n")
    (seed_corpus / "unnamed.txt").write_text("Weather\n\nA storm hit Marlow.\n")
    code, out = run(["index", str(seed_corpus / "later.txt"), *dirs], embedder, monkeypatch)
    assert code == 0
    assert "1 added, 0 changed, 0 removed, 5 unchanged" in out
    assert "added: later" in out
    assert run(["index", "--full", str(seed_corpus / "later.txt"), *dirs], embedder, monkeypatch)[0] == 2
    assert "leave out the file names" in capsys.readouterr().err
    assert "added: unnamed" in run(["index", *dirs], embedder, monkeypatch)[1]


def test_search_json_contract(dirs: list[str], embedder: Embedder, monkeypatch) -> None:
    code, out = run(["search", "Which aircraft carried out the strikes?", "--json", *dirs], embedder, monkeypatch)
    assert code == 0
    data = json.loads(out)
    assert data["query"] == "Which aircraft carried out the strikes?"
    assert len(data["results"]) == 5
    for result in data["results"]:
        assert {"article_id", "title", "paragraph", "text", "score"} <= result.keys()
        assert isinstance(result["paragraph"], int)
    assert "F-15" in data["results"][0]["text"]
    assert "F-16" in data["results"][0]["text"]


def test_search_jsonl_answers_each_line(dirs: list[str], embedder: Embedder, monkeypatch) -> None:
    lines = [
        json.dumps({"question": "Who is Yair Lapid?", "history": []}),
        json.dumps({"question": "What did he say?", "history": [{"role": "user", "content": "Who is Yair Lapid?"}]}),
        "not json",
        json.dumps({"question": "   "}),
    ]
    code, out = run(["search", "--jsonl", "-", "-k", "2", *dirs], embedder, monkeypatch, "\n".join(lines) + "\n")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 4
    assert len(rows[0]["results"]) == 2
    assert rows[1]["searched_for"] == "What did Yair Lapid say?"
    assert rows[2]["error"].startswith("line 3:")
    assert "empty" in rows[3]["error"]


def test_list_and_show(dirs: list[str], embedder: Embedder, monkeypatch) -> None:
    _, out = run(["list", "--json", *dirs], embedder, monkeypatch)
    articles = {a["id"]: a for a in json.loads(out)}
    assert articles["003_f229a520fc9a1687"]["source"] == "RFE/RL"
    assert articles["003_f229a520fc9a1687"]["date"] == "2021-06-27"
    _, out = run(["show", "002_dcffd605a21db99b", *dirs], embedder, monkeypatch)
    assert "¶1 Since assuming office" in out
    _, out = run(["show", "003_f229a520fc9a1687", "--dropped", *dirs], embedder, monkeypatch)
    assert "[copyright notice]" in out
    assert "[byline]: By RFE/RL June 27, 2021" in out


def test_errors_are_messages_not_tracebacks(dirs: list[str], embedder: Embedder, monkeypatch, capsys) -> None:
    assert run(["search", "  ", *dirs], embedder, monkeypatch)[0] == 2
    assert "qa: error: the question is empty" in capsys.readouterr().err
    assert run(["show", "nope", *dirs], embedder, monkeypatch)[0] == 2
    assert "no article 'nope'" in capsys.readouterr().err
    assert run(["index", "--corpus", "/nonexistent", "--index", dirs[3]], embedder, monkeypatch)[0] == 2
    assert "does not exist" in capsys.readouterr().err


def test_installed_command_uses_environment_settings(seed_corpus: Path, tmp_path: Path) -> None:
    env = project_env(QA_CORPUS_DIR=str(seed_corpus), QA_INDEX_DIR=str(tmp_path / "env-index"))
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "qa"), "search", "Kataib Hezbollah", "-k", "1", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"][0]["article_id"].startswith("00")
    assert (tmp_path / "env-index" / "CURRENT").exists()
    assert "Traceback" not in result.stderr


CITATION_FIELDS = {"n": int, "article_id": str, "title": str, "paragraph": int, "text": str, "quote": str}


def check_citation_shape(citation: dict) -> None:
    for name, kind in CITATION_FIELDS.items():
        assert isinstance(citation[name], kind), name
    assert citation["source"] is None or isinstance(citation["source"], str)
    assert isinstance(citation["score"], float)
    start, end = citation["span"]
    assert citation["text"][start:end] == citation["quote"]


def test_ask_json_contract(dirs: list[str], embedder: Embedder, monkeypatch) -> None:
    code, out = run(["ask", "Which aircraft carried out the strikes?", "--json", *dirs], embedder, monkeypatch)
    assert code == 0
    data = json.loads(out)
    assert {"question", "answer", "answered", "citations", "related"} <= data.keys()
    assert data["question"] == "Which aircraft carried out the strikes?"
    assert data["answered"] is True
    assert "F-15" in data["answer"]
    assert "F-16" in data["answer"]
    used = {int(n) for n in re.findall(r"\[(\d+)\]", data["answer"])}
    assert used == {c["n"] for c in data["citations"]}
    assert len(data["citations"]) >= 2
    for citation in data["citations"] + data["related"]:
        check_citation_shape(citation)


def test_ask_markdown_gives_the_answer_then_its_sources(dirs: list[str], embedder: Embedder, monkeypatch) -> None:
    code, out = run(["ask", "Which aircraft carried out the strikes?", "--markdown", *dirs], embedder, monkeypatch)
    assert code == 0
    assert out.startswith("# corpus-qa answer\n\n## Which aircraft carried out the strikes?\n")
    answer, sources = out.split("**Sources**")
    assert "F-16" in answer
    assert "[1][2]" in answer
    assert re.search(r"^2\. \*\*.+\*\* — .*`002_\w+` ¶\d+$", sources, re.MULTILINE)


def test_ask_json_abstains_with_related(dirs: list[str], embedder: Embedder, monkeypatch) -> None:
    _, out = run(["ask", "What is the capital of Australia?", "--json", *dirs], embedder, monkeypatch)
    data = json.loads(out)
    assert data["answered"] is False
    assert data["citations"] == []
    assert not re.search(r"\[\d+\]", data["answer"])
    for citation in data["related"]:
        check_citation_shape(citation)


def test_ask_jsonl_follows_history(dirs: list[str], embedder: Embedder, monkeypatch) -> None:
    lines = [
        json.dumps({"question": "Who is Yair Lapid?", "history": []}),
        json.dumps(
            {
                "question": "What did he say about the accord?",
                "history": [{"role": "user", "content": "Who is Yair Lapid?"}],
            }
        ),
        json.dumps({"question": ""}),
    ]
    code, out = run(["ask", "--jsonl", "-", *dirs], embedder, monkeypatch, "\n".join(lines) + "\n")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 3
    assert "Lapid" in rows[0]["answer"]
    assert "serious reservations" in rows[1]["answer"]
    assert "empty" in rows[2]["error"]


def test_eval_json_scores_all_systems(dirs: list[str], embedder: Embedder, monkeypatch, tmp_path: Path) -> None:
    questions = [
        {"id": "1", "kind": "fact", "question": "Which aircraft carried out the strikes?",
         "answer_all": [["F-15"], ["F-16"]], "support": [["000", "F-15 and F-16 aircraft"]]},
        {"id": "2", "kind": "abstain", "question": "What is the capital of Australia?"},
    ]  # fmt: skip
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(q) for q in questions), encoding="utf-8")
    code, out = run(["eval", str(path), "--json", "--show-misses", *dirs], embedder, monkeypatch)
    assert code == 0
    data = json.loads(out)
    assert data["questions"] == 2
    assert set(data["scores"]) == {"corpus-qa", "dense top-1", "BM25 top-1"}
    ours = data["scores"]["corpus-qa"]
    assert ours["accuracy"] == 1.0
    assert ours["abstention"] == 1.0
    assert data["scores"]["dense top-1"]["abstention"] == 0.0
    assert data["misses"] == []
    _, table = run(["eval", str(path), *dirs], embedder, monkeypatch)
    assert "recall@5" in table
    assert "2 questions: 1 answerable, 1 to abstain on" in table


def test_filters_narrow_ask_and_search(dirs: list[str], embedder: Embedder, monkeypatch) -> None:
    only = ["--article", "001_7c084e74566a1192"]
    _, out = run(["ask", "Which aircraft carried out the strikes?", "--json", *only, *dirs], embedder, monkeypatch)
    assert {c["article_id"] for c in json.loads(out)["citations"]} == {"001_7c084e74566a1192"}
    _, out = run(["search", "aircraft", "--json", "--source", "RFE", *dirs], embedder, monkeypatch)
    assert {r["article_id"] for r in json.loads(out)["results"]} == {"003_f229a520fc9a1687"}


def test_a_filter_nothing_passes_is_a_clean_error(dirs: list[str], embedder: Embedder, monkeypatch, capsys) -> None:
    code, _ = run(["ask", "Which aircraft?", "--since", "2030-01-01", *dirs], embedder, monkeypatch)
    assert code != 0
    assert "no article matches the filter (dated 2030-01-01 to …); widen it" in capsys.readouterr().err
