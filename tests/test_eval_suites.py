"""Checker benchmarks as suites (WiCE, the LLM-style answer set) and what the terminal shows."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from eval.checker_suites import SHARED_DIR, WICE_PATH, load_suite
from eval.datasets import DEFAULT_QUESTIONS, write_jsonl
from eval.runner import RunOptions, run_eval
from eval.splits import split_of
from ingest.store import ChromaStore
from tests.conftest import make_settings

needs_wice = pytest.mark.skipif(not WICE_PATH.is_file(),
                                reason=f"the WiCE benchmark is not at {WICE_PATH}")


@needs_wice
def test_wice_is_read_in_place_and_split_on_case_ids():
    test, dev, every = (load_suite("wice", split) for split in ("test", "dev", "all"))
    assert {split_of(c.id) for c in test.cases} == {"test"}
    assert {split_of(c.id) for c in dev.cases} == {"dev"}
    assert len(test.cases) + len(dev.cases) == len(every.cases) == every.n_before_split


@needs_wice
def test_the_wice_suite_runs_in_the_eval_with_roc_auc_and_both_baselines(sample_settings,
                                                                         embedder):
    options = RunOptions(only="checker", checker_set="wice", max_cases=4, progress=False)
    results = run_eval(options, sample_settings, embedder=embedder)
    checker = results["checker"]
    assert (checker["suite"], checker["split"]) == ("wice", "test")
    assert all(split_of(c["id"]) == "test" for c in checker["cases"])
    assert set(checker["systems"]) == {"checker", "lexical_baseline", "embedding_baseline"}
    metrics = results["metrics"]
    for system in ("checker", "baselines.lexical", "baselines.embedding"):
        assert f"wice.{system}.balanced_accuracy" in metrics
        assert f"wice.{system}.roc_auc" in metrics
    assert any(k.startswith("wice.checker.by_kind.wice_") for k in metrics)
    assert "checker.balanced_accuracy" not in metrics  # the shipped set's names stay its own
    assert results["metric_judges"]["wice.checker.roc_auc"] == (
        "gold labels of WiCE (test split, 4 cases)")


@pytest.mark.skipif(not (SHARED_DIR / "corpora").is_dir(),
                    reason=f"the shared corpora are not at {SHARED_DIR / 'corpora'}")
def test_the_llm_answer_set_suite_reports_answer_level_validity(sample_settings, embedder):
    options = RunOptions(only="checker", checker_set="llm", max_cases=10, progress=False)
    results = run_eval(options, sample_settings, embedder=embedder)
    assert results["checker"]["suite"] == "llm"
    validity = results["validity"]["llm.validity"]
    assert validity["answers"] and all(split_of(a["id"]) == "test" for a in validity["answers"])
    for pair in validity["answers"]:
        assert 0 <= pair["true_recall"] <= 1
    assert "llm.checker.roc_auc" in results["metrics"]
    assert "llm.validity.recall_pearson" in results["metrics"]


def test_the_terminal_shows_coverage_of_a_partial_answers_file(tmp_path, monkeypatch, capsys):
    questions = [json.loads(line) for line in DEFAULT_QUESTIONS.read_text().splitlines()]
    write_jsonl(tmp_path / "q.jsonl", [q for q in questions
                                       if q["id"] in ("case-portal-number", "case-10m")])
    write_jsonl(tmp_path / "a.jsonl", [
        {"id": "case-portal-number", "answer": "Video call drops fell by 5% [1].",
         "citations": [{"id": 1, "url": "https://o.example/p.html",
                        "text": "Video call drops fell by 5%."}]},
        {"id": "not-a-question", "answer": "Something [1].", "citations": []},
    ])
    monkeypatch.setenv("CAREERQA_DATA_DIR", str(tmp_path / "data"))
    code = main(["eval", "--answers", str(tmp_path / "a.jsonl"), "--questions",
                 str(tmp_path / "q.jsonl"), "--only", "questions", "--no-chart",
                 "--out", str(tmp_path / "run1")])
    out = capsys.readouterr().out
    assert code == 0
    assert ("questions: 2 — answered 1, errored 0, no answer 1, skipped 1 (answers for "
            "questions not in the set); PARTIAL: answer figures cover 1 of 2 questions") in out
    report = (tmp_path / "run1" / "report.md").read_text()
    assert "Partial answers" in report

    old = json.loads((tmp_path / "run1" / "results.json").read_text())
    old["metrics"]["citations.recall_macro"] = 0.25
    old["metrics"]["retired.metric"] = 0.5
    (tmp_path / "old.json").write_text(json.dumps(old))
    code = main(["eval", "--results", str(tmp_path / "run1" / "results.json"),
                 "--compare", str(tmp_path / "old.json")])
    out = capsys.readouterr().out
    assert code == 0
    assert "improved  citations.recall_macro: 0.250 -> 1.000 (+0.750)" in out
    assert "missing   retired.metric: in the previous run, not in this one" in out


def test_an_eval_on_a_fresh_data_dir_first_ingests_the_sample_corpus(tmp_path, embedder):
    # First start: the app only queues the sample corpus as an ingest job; an in-process
    # eval must wait for it rather than fail on an empty store.
    settings = make_settings(tmp_path / "fresh")
    options = RunOptions(only="checker", max_cases=3, progress=False)
    results = run_eval(options, settings, embedder=embedder)
    assert len(results["checker"]["cases"]) == 3
    assert ChromaStore.from_settings(settings).count() > 0
