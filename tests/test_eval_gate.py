"""The gate, the comparison and the CLI's handling of bad files (no model needed)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from core.settings import Settings
from eval.cli import EXIT_GATE, EXIT_OK, EXIT_USAGE, register
from eval.gate import check_gate, load_gate
from eval.report import compare, render_markdown

GATE_FILE = Path(__file__).resolve().parent.parent / "eval" / "gate.toml"


def _results(**metrics: float) -> dict:
    base = {"checker.balanced_accuracy": 0.95, "citations.recall_macro": 0.9,
            "answers.latency_p95_ms": 800.0}
    return {"metrics": base | metrics, "metric_judges": {}, "questions": [],
            "checker": {"cases": [{"id": "number-001", "kind": "number", "gold": False,
                                   "checker": False}]},
            "run": {"started_at": "2026-01-01T00:00:00+00:00"}, "timings": {"total_s": 1.0}}


def _cli(tmp_path: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="careerqa")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["eval", *argv])
    return args.func(args, Settings(data_dir=tmp_path / "data", _env_file=None))


def test_gate_fails_on_a_degraded_results_file(tmp_path):
    gate_file = tmp_path / "gate.toml"
    gate_file.write_text(
        "[floors]\nchecker.balanced_accuracy = 0.9\n\"citations.recall_macro\" = 0.8\n"
        "[ceilings]\n\"answers.latency_p95_ms\" = 2000\n"
    )
    gate = load_gate(gate_file)
    assert gate["floors"] == {"checker.balanced_accuracy": 0.9, "citations.recall_macro": 0.8}
    assert check_gate(_results()["metrics"], gate) == []
    degraded = _results(**{"checker.balanced_accuracy": 0.7, "answers.latency_p95_ms": 5000.0})
    failures = [str(f) for f in check_gate(degraded["metrics"], gate)]
    assert failures == [
        "checker.balanced_accuracy = 0.7 below floor 0.9",
        "answers.latency_p95_ms = 5000 above ceiling 2000",
    ]

    good_file, bad_file = tmp_path / "good.json", tmp_path / "bad.json"
    good_file.write_text(json.dumps(_results()))
    bad_file.write_text(json.dumps(degraded))
    assert _cli(tmp_path, "--results", str(good_file), "--gate", str(gate_file)) == EXIT_OK
    assert _cli(tmp_path, "--results", str(bad_file), "--gate", str(gate_file)) == EXIT_GATE


def test_a_metric_missing_from_the_results_fails_its_floor():
    failures = check_gate({}, {"floors": {"checker.accuracy": 0.5}, "ceilings": {}})
    assert [f.value for f in failures] == [None]
    assert "missing" in str(failures[0])


def test_shipped_gate_file_parses_and_names_real_metrics():
    gate = load_gate(GATE_FILE)
    names = set(gate["floors"]) | set(gate["ceilings"])
    assert "checker.balanced_accuracy" in names
    assert all(n.split(".")[0] in {"checker", "citations", "retrieval", "answers", "baselines"}
               for n in names)


def test_comparison_lists_what_improved_and_what_regressed():
    old = _results()
    new = _results(**{"checker.balanced_accuracy": 0.97, "citations.recall_macro": 0.8})
    new["checker"]["cases"][0]["checker"] = True  # was right, now wrong
    diff = compare(old, new)
    status = {c["name"]: c["status"] for c in diff["metrics"]}
    assert status == {"checker.balanced_accuracy": "improved",
                      "citations.recall_macro": "regressed"}
    assert diff["checker_cases"] == [{"id": "number-001", "kind": "number",
                                      "status": "regressed"}]
    report = render_markdown(new, diff)
    assert "### Regressed (1)" in report and "citations.recall_macro" in report


@pytest.mark.parametrize(
    ("content", "argv_extra", "message"),
    [
        ("not json\n", ["--questions"], "invalid JSON"),
        ('{"id": "q1"}\n', ["--questions"], "field 'question'"),
        ('{"id": "c1", "sentence": "x", "sources": []}\n', ["--checker-set"], "'sources'"),
        ("[floors\n", ["--gate"], "not valid TOML"),
        ('{"no": "metrics"}', ["--compare"], "not a careerqa eval results file"),
    ],
)
def test_bad_files_get_one_line_errors_not_tracebacks(tmp_path, capsys, content, argv_extra,
                                                      message):
    bad = tmp_path / "bad.file"
    bad.write_text(content)
    assert _cli(tmp_path, *argv_extra, str(bad)) == EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_missing_files_and_conflicting_targets_are_usage_errors(tmp_path, capsys):
    assert _cli(tmp_path, "--questions", str(tmp_path / "nope.jsonl")) == EXIT_USAGE
    assert "no such file" in capsys.readouterr().err
    assert _cli(tmp_path, "--url", "http://127.0.0.1:9", "--answers", "x.jsonl") == EXIT_USAGE
    assert "not both" in capsys.readouterr().err
    assert _cli(tmp_path, "make-checker-set", "--site", str(tmp_path / "none")) == EXIT_USAGE
