"""The run chart: unscored questions are counted by reason, never drawn as zeros."""

from __future__ import annotations

from eval.chart import render_chart, unscored_counts

ROWS = [
    {"id": "zero", "status": "answered", "citation_recall": 0.0, "citation_precision": 0.0},
    {"id": "good", "status": "answered", "citation_recall": 1.0, "citation_precision": 1.0},
    {"id": "refused", "status": "answered", "citation_recall": None},
    {"id": "gone", "status": "missing", "error": "no answer in the answers file"},
    {"id": "broke", "status": "errored", "error": "HTTP 500: oops"},
]


def test_a_zero_a_missing_answer_an_error_and_no_claims_are_told_apart():
    assert unscored_counts(ROWS) == {"no answer": 1, "error": 1, "no claims": 1}


def test_the_chart_is_written_for_questions_alone(tmp_path):
    path = render_chart({"questions": ROWS, "judges": {"answers": "a judge"}},
                        tmp_path / "chart.png")
    assert path is not None and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_nothing_to_draw_gives_no_chart(tmp_path):
    assert render_chart({"questions": []}, tmp_path / "chart.png") is None
    assert not (tmp_path / "chart.png").exists()
