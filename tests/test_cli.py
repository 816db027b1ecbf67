"""The `careerqa` command as a user runs it: help, clear errors, sources and the audit log."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app.cli import build_parser, main
from tests.conftest import LOCAL_FETCH_ENV

SUBCOMMANDS = ["ingest", "sources", "serve", "ask", "eval", "bench", "keywords"]


def run_cli(*args: str, data_dir=None, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **LOCAL_FETCH_ENV, **(env or {})}
    if data_dir is not None:
        full_env["CAREERQA_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True,
                          text=True, env=full_env, timeout=300)


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: careerqa " + command in capsys.readouterr().out


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "ingest" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bench", "query", "--sizes", "abc"], "argument --sizes: not a whole number: 'abc'"),
        (["bench", "query", "--sizes", "1000,-5"], "argument --sizes: must be at least 1, not -5"),
        (["bench", "query", "--questions", "0"], "argument --questions: must be at least 1"),
        (["bench", "ingest", "--pages", "0"], "argument --pages: must be at least 1, not 0"),
        (["bench", "ingest", "--repeats", "0"], "argument --repeats: must be at least 1"),
        (["bench", "embed", "--backends", "torch,gpu"], "backends are torch and onnx"),
        (["bench", "embed", "--batch-sizes", "16,0"], "must be at least 1, not 0"),
        (["bench", "scale", "--sizes", "10000,0"], "argument --sizes: must be at least 1, not 0"),
        (["bench", "scale", "--sizes", ","], "argument --sizes: name at least one chunk count"),
        (["bench", "scale", "--kinds", "memory,redis"], "keyword indexes are memory and database"),
        (["bench", "scale", "--questions", "0"], "argument --questions: must be at least 1"),
        (["bench", "scale", "--distinct-vectors", "x"], "--distinct-vectors: not a whole number"),
        (["bench", "keywords", "--questions", "/nonexistent.jsonl"], "no such file"),
        (["bench", "keywords", "--rounds", "0"], "argument --rounds: must be at least 1"),
        (["bench", "warmup", "--chunks", "0"], "argument --chunks: must be at least 1, not 0"),
    ],
)
def test_bad_bench_arguments_are_named_before_anything_runs(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_ingest_without_sources_is_a_clear_message(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CAREERQA_DATA_DIR", str(tmp_path))
    assert main(["ingest"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("careerqa: nothing to ingest") and "Traceback" not in err


def test_ingest_of_a_missing_folder_or_bad_yaml_names_the_problem(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CAREERQA_DATA_DIR", str(tmp_path))
    assert main(["ingest", "--local", str(tmp_path / "nope")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - crawl: {start: 'https://a.example/', depth: 2}\n")
    assert main(["ingest", "--sources-file", str(bad)]) == 2
    assert "unknown key 'depth'" in capsys.readouterr().err


def test_a_bad_setting_is_reported_without_a_traceback(tmp_path):
    result = run_cli("sources", env={"CAREERQA_CHUNK_SIZE": "tiny"})
    assert result.returncode == 2
    assert "CAREERQA_CHUNK_SIZE" in result.stderr and "Traceback" not in result.stderr


def test_sources_before_any_ingest_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CAREERQA_DATA_DIR", str(tmp_path / "empty"))
    assert main(["sources"]) == 2
    assert "nothing ingested yet" in capsys.readouterr().err


def test_ingest_then_sources_and_log_over_http(sample_site, tmp_path):
    bad = sample_site.url_for("/bad/404")
    result = run_cli("ingest", sample_site.url_for("articles/building-trust.html"), bad,
                     sample_site.url_for("drafts/unpublished-salary-negotiation.html"),
                     data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "stored 1" in result.stdout and "failed: " + bad + ": http_404" in result.stdout
    assert "time per stage:" in result.stdout

    listing = run_cli("sources", data_dir=tmp_path)
    assert "stored" in listing.stdout and "building-trust.html" in listing.stdout
    assert "http_404" in listing.stdout

    audit = run_cli("sources", "--log", data_dir=tmp_path)
    lines = audit.stdout.splitlines()
    assert any("disallowed" in ln and "drafts/" in ln for ln in lines)
    assert any("failed" in ln and "http_404" in ln for ln in lines)
    assert any("stored" in ln and "building-trust.html" in ln for ln in lines)
