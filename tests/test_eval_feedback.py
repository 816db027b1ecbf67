"""export-feedback: flags and thumbs-down become reviewable cases, changed sources are marked."""

from __future__ import annotations

import argparse
import json

from app.feedback import FeedbackStore
from app.models import Citation, FeedbackRequest
from core.db import Database
from core.settings import Settings
from eval.cli import EXIT_OK, EXIT_USAGE, register
from eval.datasets import load_checker_cases, load_questions
from eval.feedback import export_feedback
from ingest.state import IngestState

PORTAL = "http://127.0.0.1:8000/sample/case-studies/portal-video-calling-reliability.html"
TRUST = "http://127.0.0.1:8000/sample/articles/building-trust.html"


def _citation(url: str, content_hash: str, quote: str) -> Citation:
    return Citation(
        id=1, url=url, fragment_url=url, title="t", quote=quote, start=0, end=len(quote),
        chunk_id="gone", chunk_start=0, chunk_end=len(quote), score=0.9,
        content_hash=content_hash, fetched_at="2026-01-01T00:00:00+00:00",
    )


def _settings(tmp_path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    db = Database.from_settings(settings)
    feedback = FeedbackStore(db)
    feedback.add(FeedbackRequest(
        rating="flag", question="How much did Portal call drops fall?",
        answer="Drops fell by 50% [1].", sentence="Drops fell by 50% [1].",
        comment="the article says 5%",
        citation=_citation(PORTAL, "hash-now", "Video call drops on Portal fell by 5%."),
    ))
    feedback.add(FeedbackRequest(
        rating="flag", question="How long does trust take?", answer="Two years [1].",
        sentence="Trust takes two years [1].",
        citation=_citation(TRUST, "hash-then", "two or more years"),
    ))
    feedback.add(FeedbackRequest(rating="down", question="What is a staff engineer?",
                                 answer="Someone senior."))
    feedback.add(FeedbackRequest(rating="up", question="Nice", answer="Thanks."))
    state = IngestState(db)
    state.upsert(PORTAL, status="stored", doc_hash="hash-now")
    state.upsert(TRUST, status="stored", doc_hash="hash-later")  # edited since the answer
    db.close()
    return settings


def test_flags_and_thumbs_down_become_cases_and_changed_sources_are_marked(tmp_path):
    settings = _settings(tmp_path)
    db = Database.from_settings(settings)
    summary = export_feedback(db, tmp_path / "out")
    db.close()
    assert (summary.rows, summary.checker_cases, summary.question_cases) == (3, 2, 3)
    assert summary.source_changed == 1

    cases = {c.id: c for c in load_checker_cases(summary.checker_path)}
    portal = cases["feedback-1"]
    assert portal.sentence == "Drops fell by 50%."  # markers stripped
    assert portal.supported is False and portal.kind == "feedback_flag"
    assert portal.sources[0].text == "Video call drops on Portal fell by 5%."
    assert portal.extra["source_changed"] is False and portal.extra["needs_review"] is True
    assert cases["feedback-2"].extra["source_changed"] is True

    questions = {q.id: q for q in load_questions(summary.questions_path)}
    assert set(questions) == {"feedback-1", "feedback-2", "feedback-3"}
    assert questions["feedback-1"].gold_urls == (PORTAL,)
    rows = [json.loads(line) for line in summary.questions_path.read_text().splitlines()]
    assert {r["rating"] for r in rows} == {"flag", "down"}


def test_export_feedback_cli(tmp_path, capsys):
    settings = _settings(tmp_path)
    parser = argparse.ArgumentParser(prog="careerqa")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["eval", "export-feedback", "--out", str(tmp_path / "review")])
    assert args.func(args, settings) == EXIT_OK
    assert "2 checker cases" in capsys.readouterr().out
    assert (tmp_path / "review" / "feedback_checker.jsonl").is_file()

    empty = Settings(data_dir=tmp_path / "nothing", _env_file=None)
    assert args.func(args, empty) == EXIT_USAGE
    assert "no feedback database" in capsys.readouterr().err
