"""Scoring another system's answers from a JSONL file, the same way careerqa's are scored."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from eval.datasets import DATASETS_DIR, DEFAULT_CHECKER_SET, DEFAULT_QUESTIONS, write_jsonl
from eval.runner import RunOptions, run_eval
from eval.targets import AnswersFileTarget

EXAMPLE_ANSWERS = DATASETS_DIR / "example_answers.jsonl"
IDS = ("case-portal-number", "case-10m", "trait-mentor-vs-sponsor", "oos-sourdough")


@pytest.fixture(scope="module")
def scored(embedder, tmp_path_factory):
    """One run over the example answers (4 questions) and 2 checker cases per kind."""
    from core.settings import Settings

    tmp = tmp_path_factory.mktemp("answers")
    questions = [json.loads(line) for line in DEFAULT_QUESTIONS.read_text().splitlines()]
    write_jsonl(tmp / "questions.jsonl", [q for q in questions if q["id"] in IDS])
    cases = [json.loads(line) for line in DEFAULT_CHECKER_SET.read_text().splitlines()]
    per_kind: dict[str, int] = {}
    small = []
    for case in cases:
        if per_kind.get(case["kind"], 0) < 2:
            per_kind[case["kind"]] = per_kind.get(case["kind"], 0) + 1
            small.append(case)
    write_jsonl(tmp / "checker.jsonl", small)
    options = RunOptions(questions=tmp / "questions.jsonl", checker_set=tmp / "checker.jsonl",
                         answers=EXAMPLE_ANSWERS, progress=False)
    settings = Settings(data_dir=tmp / "data", _env_file=None)
    return run_eval(options, settings, embedder=embedder)


def test_answers_file_is_read_into_records():
    target = AnswersFileTarget(EXAMPLE_ANSWERS)
    assert set(target.records) == set(IDS)
    portal = target.records["case-portal-number"]
    assert portal.covered is True and len(portal.citations) == 2
    assert portal.retrieved is not None and portal.retrieved[0].url.endswith(
        "case-studies/portal-video-calling-reliability.html")


def test_external_answers_are_scored_with_named_judges(scored):
    metrics, judges = scored["metrics"], scored["metric_judges"]
    # Gold pages are matched by path suffix on the other system's own host.
    assert metrics["retrieval.recall_at_k"] == 1.0
    assert metrics["answers.refusal_accuracy"] == 1.0
    assert metrics["answers.quote_exact_rate"] == 1.0
    # 8 claims, 8 citations; [3] names no source; "$100M" and "one afternoon" and the
    # uncited closing sentence are supported nowhere; one sentence cites [1] for what [2] says.
    assert metrics["citations.invalid_citation_rate"] == pytest.approx(1 / 8)
    assert metrics["citations.uncited_rate"] == pytest.approx(1 / 8)
    assert metrics["citations.misattribution_rate"] == pytest.approx(1 / 8)
    assert metrics["citations.unsupported_anywhere_rate"] == pytest.approx(3 / 8)
    assert metrics["citations.recall_macro"] == pytest.approx((1 + 0 + 2 / 3) / 3)
    # The redundant [2] in "[1][2]" is irrelevant: precision 2/3 on that answer.
    assert metrics["citations.precision_macro"] == pytest.approx((1 + 0 + 2 / 3) / 3)
    # careerqa's checker judges another system's answers: it is the judge, not under test.
    assert judges["citations.recall_macro"] == "careerqa's offline checker as the judge"
    assert "under test" not in judges["citations.recall_macro"]
    assert judges["retrieval.recall_at_k"] == "gold URLs"
    assert scored["judges"]["evidence_used"]["passage"] > 0


def test_checker_and_baselines_are_scored_in_the_same_run(scored):
    systems = scored["checker"]["systems"]
    assert set(systems) == {"checker", "lexical_baseline", "embedding_baseline"}
    for system in systems.values():
        assert system["overall"]["n"] == 14
        assert len(system["by_kind"]) == 7
    assert scored["metric_judges"]["checker.balanced_accuracy"] == (
        "gold labels of the checker set checker.jsonl (all cases, 14 cases)")
    assert systems["checker"]["overall"]["roc_auc"] is not None


def test_a_question_without_an_answer_counts_as_an_error(embedder, tmp_path):
    from core.settings import Settings

    write_jsonl(tmp_path / "q.jsonl", [{"id": "unanswered", "question": "Why?",
                                        "gold_urls": ["articles/building-trust.html"]}])
    options = RunOptions(questions=tmp_path / "q.jsonl", answers=EXAMPLE_ANSWERS,
                         only="questions", progress=False)
    results = run_eval(options, Settings(data_dir=tmp_path / "data", _env_file=None),
                       embedder=embedder)
    assert results["metrics"]["answers.error_rate"] == 1.0
    assert results["questions"][0]["error"] == "no answer in the answers file"


class _AlwaysSupported(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat endpoint whose judge finds every sentence supported."""

    requests: list[dict] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        verdict = {"verdict": "supported", "reason": None, "quote": "", "source": None,
                   "supported_by": None, "score": 1.0}
        reply = {"id": "x", "object": "chat.completion", "model": body.get("model"),
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": json.dumps(verdict)}}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def llm_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AlwaysSupported)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_a_configured_llm_judges_the_answers_and_is_named(embedder, tmp_path, llm_server):
    from core.settings import Settings

    questions = [json.loads(line) for line in DEFAULT_QUESTIONS.read_text().splitlines()]
    write_jsonl(tmp_path / "q.jsonl", [q for q in questions if q["id"] in IDS])
    settings = Settings(data_dir=tmp_path / "data", llm_base_url=llm_server, llm_model="judge-1",
                        llm_api_key="k", _env_file=None)
    options = RunOptions(questions=tmp_path / "q.jsonl", answers=EXAMPLE_ANSWERS,
                         only="questions", progress=False)
    results = run_eval(options, settings, embedder=embedder)
    assert results["judges"]["answers"] == "LLM judge (judge-1)"
    assert results["judges"]["answers_independent"] is True
    assert _AlwaysSupported.requests and _AlwaysSupported.requests[0]["model"] == "judge-1"
    # Everything cited is "supported"; uncited and invalid-only claims still score 0.
    assert results["metrics"]["citations.recall_macro"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
    assert results["metric_judges"]["citations.recall_macro"] == "LLM judge (judge-1)"
