"""Every malformed eval input ends with one line naming the problem and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main

GOOD = {"id": "case-portal-number", "answer": "Drops fell by 5% [1].",
        "citations": [{"id": 1, "url": "https://other.example/p.html",
                       "text": "Drops fell by 5%."}]}


def with_fields(**changes) -> dict:
    row = json.loads(json.dumps(GOOD))
    for key, value in changes.items():
        if value is ...:
            row.pop(key, None)
        else:
            row[key] = value
    return row


def cited(**fields) -> dict:
    return with_fields(citations=[{**GOOD["citations"][0], **fields}])


def run(args: list[str], tmp_path: Path, monkeypatch, capsys) -> tuple[int, list[str]]:
    monkeypatch.setenv("CAREERQA_DATA_DIR", str(tmp_path / "data"))
    code = main(["eval", *args, "--out", str(tmp_path / "out")])
    return code, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([with_fields(covered="yes")], "'covered' must be true or false, not str"),
        ([with_fields(latency_ms="fast")], "'latency_ms' must be a number, not str"),
        ([with_fields(latency_ms=True)], "'latency_ms' must be a number, not bool"),
        ([with_fields(answer=...)], "'answer' must be a string"),
        ([with_fields(answer=["Drops fell."])], "'answer' must be a string"),
        ([with_fields(id=...)], "'id' must be a non-empty string"),
        ([with_fields(id=7)], "'id' must be a non-empty string"),
        ([with_fields(citations={"id": 1})], "'citations' must be a list"),
        ([cited(id=True)], "citation 1 needs an 'id'"),
        ([cited(text=5)], "citation 1 'text' must be a string, not int"),
        ([cited(url=["https://x"])], "citation 1 'url' must be a string, not list"),
        ([with_fields(retrieved=[{"url": 3}])], "'retrieved' must be a list of {url, text?}"),
        ([with_fields(sentences=[{"text": "Drops fell.", "supported": "yes"}])],
         "'sentences' must be a non-empty list of {text, supported: true|false}"),
        ([GOOD, GOOD], "duplicate id 'case-portal-number' (first on line 1)"),
    ],
)
def test_a_malformed_answers_file_is_one_line_and_exit_2(rows, message, tmp_path, monkeypatch,
                                                         capsys):
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, err = run(["--answers", str(answers), "--only", "questions"], tmp_path, monkeypatch,
                    capsys)
    assert code == 2
    assert len(err) == 1
    assert err[0].startswith(f"careerqa eval: {answers}:")
    assert message in err[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json\n", "invalid JSON"),
        ("[1, 2]\n", "expected a JSON object per line"),
        ("", "no records"),
    ],
)
def test_an_unreadable_answers_file_is_one_line_and_exit_2(content, message, tmp_path,
                                                           monkeypatch, capsys):
    answers = tmp_path / "answers.jsonl"
    answers.write_text(content)
    code, err = run(["--answers", str(answers)], tmp_path, monkeypatch, capsys)
    assert (code, len(err)) == (2, 1)
    assert message in err[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "checker", "--checker-set", "no/such/cases.jsonl"], "no such file"),
        (["--only", "checker", "--checker-set", "wice", "--cases", "0"],
         "--cases must be at least 1"),
        (["--answers", "no/such/answers.jsonl"], "no such answers file"),
        (["--k", "0"], "--k must be at least 1"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(args, message, tmp_path, monkeypatch, capsys):
    code, err = run(args, tmp_path, monkeypatch, capsys)
    assert (code, len(err)) == (2, 1)
    assert message in err[0]


def test_a_checker_case_with_a_wrong_type_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "c1", "sentence": "Drops fell.", "citations": [1],
                                 "sources": [{"id": 1, "text": None}], "supported": True,
                                 "kind": "faithful"}) + "\n")
    code, err = run(["--only", "checker", "--checker-set", str(cases)], tmp_path, monkeypatch,
                    capsys)
    assert (code, len(err)) == (2, 1)
    assert "each source needs an id (int or string) and a text" in err[0]
