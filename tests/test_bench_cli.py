"""`careerqa bench ingest|embed|warmup` and `careerqa embed` as a user runs them."""

from __future__ import annotations

import json

import pytest

from app.cli import build_parser, main


@pytest.mark.parametrize("command", [["embed"], ["embed", "build-onnx"], ["bench", "embed"],
                                     ["bench", "warmup"]])
def test_new_commands_have_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: careerqa " + " ".join(command) in capsys.readouterr().out


def test_bench_ingest_reports_pipeline_against_raw_model(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CAREERQA_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "ingest.json"
    assert main(["bench", "ingest", "--pages", "4", "--repeats", "1", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert json.loads(capsys.readouterr().out) == result
    assert result["pages"] == 4 and result["failed"] == 0
    assert result["chunks"] >= 4 and result["reingest_unchanged"] == 4
    assert result["model_raw_chunks_per_second"] > 0
    assert 0 < result["pipeline_share_of_model_throughput"] == result["shares"][0]
    assert result["embedder"]["batch_size"] >= 1 and len(result["load_average_1min"]) == 2


def test_bench_embed_times_each_setting_it_is_given(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CAREERQA_DATA_DIR", str(tmp_path / "data"))
    assert main(["bench", "embed", "--chunks", "12", "--rounds", "1", "--backends", "torch",
                 "--batch-sizes", "4,8", "--threads", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [(r["batch_size"], r["threads"]) for r in result["configs"]] == [(4, 1), (8, 1)]
    assert max(r["share_of_best"] for r in result["configs"]) == 1.0
    assert result["best_torch"]["chunks_per_second"] > 0 and result["chunks"] == 12
    assert set(result["one_question_ms"]) == {"torch_threads1"}


def test_bench_warmup_warms_every_distinct_sentence_of_its_store(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CAREERQA_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "warmup.json"
    assert main(["bench", "warmup", "--chunks", "12", "--raw-sample", "20",
                 "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert json.loads(capsys.readouterr().out) == result
    assert result["chunks"] == 12 and result["sentences"] >= 12 * 6
    assert result["warmup_sentences_per_second"] > 0 and result["warmup_share_of_raw"] > 0
    assert len(result["raw_sentences_per_second"]) == 2
    assert result["rss_mb"]["process_peak"] >= result["rss_mb"]["before_start"] > 0
