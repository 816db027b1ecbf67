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
    feedback.add(FeedbackRequest(
        rating="flag", question="By how much did Portal call drops fall?",
        answer="Video call drops on Portal fell by 5% across the fleet [1].",
        sentence="Video call drops on Portal fell by 5% across the fleet [1].",
        comment="wrong?",
        citation=_citation(PORTAL, "hash-now", "Video call drops on Portal fell by 5% across "
                                               "the fleet."),
    ))
    feedback.add(FeedbackRequest(rating="down", question="How do I negotiate my salary?",
                                 answer="My sources don't cover how to negotiate a salary."))
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
    assert (summary.rows, summary.checker_cases, summary.question_cases) == (5, 3, 5)
    assert summary.source_changed == 1

    cases = {c.id: c for c in load_checker_cases(summary.checker_path)}
    portal = cases["feedback-1"]
    assert portal.sentence == "Drops fell by 50%."  # markers stripped
    assert portal.supported is False and portal.kind == "feedback_flag"
    assert portal.sources[0].text == "Video call drops on Portal fell by 5%."
    assert portal.extra["source_changed"] is False and portal.extra["needs_review"] is True
    assert cases["feedback-2"].extra["source_changed"] is True
    assert "checker_verdict" not in portal.extra  # no checker given

    questions = {q.id: q for q in load_questions(summary.questions_path)}
    assert set(questions) == {f"feedback-{n}" for n in range(1, 6)}
    # Site-relative, as the question set writes them: the sample is served under /sample/.
    assert questions["feedback-1"].gold_urls == (
        "case-studies/portal-video-calling-reliability.html",)
    assert questions["feedback-2"].gold_urls == ("articles/building-trust.html",)
    assert questions["feedback-5"].out_of_scope is True  # the service refused it
    assert questions["feedback-3"].out_of_scope is False
    rows = [json.loads(line) for line in summary.questions_path.read_text().splitlines()]
    assert {r["rating"] for r in rows} == {"flag", "down"}


def test_each_flagged_sentence_carries_the_checkers_verdict_and_score(tmp_path, embedder):
    from app.check.checker import CitationChecker

    settings = _settings(tmp_path)
    checker = CitationChecker.from_settings(settings, embedder)
    db = Database.from_settings(settings)
    summary = export_feedback(db, tmp_path / "out", checker=checker)
    db.close()
    cases = {c.id: c.extra for c in load_checker_cases(summary.checker_path)}
    # Quoted word for word: the checker disagrees with the flag, and the reviewer sees it.
    assert cases["feedback-4"]["checker_verdict"] == "supported"
    assert cases["feedback-4"]["checker_score"] >= 0.8
    # 50% against a source saying 5%: the checker agrees with the reader.
    assert cases["feedback-1"]["checker_verdict"] == "unsupported"
    assert cases["feedback-1"]["checker_reason"] == "number_mismatch"


def test_export_feedback_cli(tmp_path, capsys):
    settings = _settings(tmp_path)
    parser = argparse.ArgumentParser(prog="careerqa")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["eval", "export-feedback", "--out", str(tmp_path / "review")])
    assert args.func(args, settings) == EXIT_OK
    assert "3 checker cases" in capsys.readouterr().out
    assert (tmp_path / "review" / "feedback_checker.jsonl").is_file()

    empty = Settings(data_dir=tmp_path / "nothing", _env_file=None)
    assert args.func(args, empty) == EXIT_USAGE
    assert "no feedback database" in capsys.readouterr().err
