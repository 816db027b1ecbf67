"""The fast gate end to end: the real service in-process over the sample store, the real checker."""

from __future__ import annotations

import pytest

from eval.gate import check_gate, load_gate
from eval.runner import RunOptions, run_eval
from tests.test_eval_gate import GATE_FILE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fast_run(sample_settings, embedder):
    return run_eval(RunOptions(fast=True, progress=False), sample_settings, embedder=embedder)


def test_fast_run_scores_a_representative_subset(fast_run):
    run = fast_run["run"]
    assert run["target"] == "in-process service"
    assert 12 <= run["n_questions"] <= 18
    assert 100 <= run["n_checker_cases"] <= 140
    strata = {q["stratum"] for q in fast_run["questions"]}
    assert strata == {"trait", "case_study", "follow_up", "out_of_scope"}
    assert fast_run["judges"]["retrieval_source"] == "retriever"
    assert fast_run["metrics"]["answers.error_rate"] == 0.0


def test_fast_gate_passes_on_the_sample_corpus(fast_run):
    failures = check_gate(fast_run["metrics"], load_gate(GATE_FILE))
    assert failures == [], [str(f) for f in failures]
