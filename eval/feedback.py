"""Turn readers' feedback into eval cases for review: the feedback loop of the eval sets.

A "flag" (this source doesn't say that) on a cited sentence becomes a checker case
labelled unsupported; every flag and thumbs-down becomes a question case. Both are
drafts for a person to review before they join the datasets, which is why each carries
`needs_review` and the reader's comment. A case whose cited page has changed since
the answer (its content hash differs from the stored one) is marked `source_changed`:
the reader may have been right about the old text and wrong about the new one.

Beside each flagged sentence goes the checker's own verdict and score on it (a flag on a
sentence that quotes its source word for word is more likely a misunderstanding than a
wrong citation); question cases get site-relative `gold_urls` (the form the question set
uses) and `out_of_scope` set when the service refused, so a refusal the reader disliked
is reviewed as a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.check.claims import names_a_gap, parse_markers, split_claims
from app.feedback import FeedbackStore
from core.db import Database
from eval.datasets import write_jsonl
from eval.site_paths import SiteRoots
from ingest.state import IngestState

EXPORTED_RATINGS = ("flag", "down")


@dataclass(frozen=True)
class ExportSummary:
    rows: int
    checker_cases: int
    question_cases: int
    source_changed: int
    checker_path: Path
    questions_path: Path


def read_feedback(db: Database) -> list[dict[str, Any]]:
    """Flag and thumbs-down rows, oldest first, with the citation JSON decoded."""
    return FeedbackStore(db).all(EXPORTED_RATINGS)


def current_hashes(db: Database) -> dict[str, str]:
    """URL -> current document hash of every stored page."""
    return {p.url: p.doc_hash for p in IngestState(db).pages()
            if p.status == "stored" and p.doc_hash}


def source_status(citation: dict[str, Any] | None, hashes: dict[str, str] | None) -> str | None:
    """"unchanged", "changed", "removed", or None when it cannot be told."""
    if not citation or hashes is None or not citation.get("url"):
        return None
    current = hashes.get(citation["url"])
    if current is None:
        return "removed"
    return "unchanged" if current == citation.get("content_hash") else "changed"


def checker_case(row: dict[str, Any], status: str | None, chunk_text: str | None,
                 checker: Any | None = None) -> dict[str, Any] | None:
    """A flagged, cited sentence as an unsupported checker case; None if it lacks either."""
    citation = row.get("citation")
    if row["rating"] != "flag" or not row.get("sentence") or not citation:
        return None
    sentence, _ = parse_markers(row["sentence"])
    text = chunk_text or citation.get("quote") or ""
    if not sentence or not text:
        return None
    verdict = _checker_verdict(checker, sentence, text)
    return {
        "id": f"feedback-{row['id']}",
        "sentence": sentence,
        "sources": [{"id": 1, "text": text, "url": citation.get("url")}],
        "citations": [1],
        "supported": False,
        "kind": "feedback_flag",
        "needs_review": True,
        "source_changed": status in ("changed", "removed"),
        "source_status": status,
        "source_text_from": "current chunk" if chunk_text else "quote at answer time",
        "quote": citation.get("quote"),
        "comment": row.get("comment"),
        "feedback_at": row.get("at"),
        **verdict,
    }


def _checker_verdict(checker: Any | None, sentence: str, text: str) -> dict[str, Any]:
    """The checker's verdict on the flagged sentence against the text exported with it."""
    if checker is None:
        return {}
    from app.check.models import SourceText

    report = checker.check(f"{sentence.rstrip('.')} [1].", [SourceText(id=1, text=text)])
    claims = [c for c in report.sentences if c.verdict != "not_a_claim"]
    if not claims:
        return {"checker_verdict": "not_a_claim", "checker_score": None, "checker_reason": None}
    weakest = min(claims, key=lambda c: c.score or 0.0)
    return {"checker_verdict": weakest.verdict, "checker_score": weakest.score,
            "checker_reason": weakest.reason}


def is_refusal(answer: str) -> bool:
    """An answer that claims and cites nothing and says what the sources lack.

    "My sources don't cover X." is a refusal; "Someone senior." (a two-word reply the
    checker also does not score) is not.
    """
    claims = split_claims(answer)
    return (not any(c.is_claim or c.citations for c in claims)
            and any(names_a_gap(c.text) for c in claims))


def question_case(row: dict[str, Any], status: str | None,
                  roots: SiteRoots | None = None) -> dict[str, Any]:
    citation = row.get("citation") or {}
    url = citation.get("url")
    refused = is_refusal(str(row.get("answer") or ""))
    return {
        "id": f"feedback-{row['id']}",
        "question": row["question"],
        "gold_urls": [roots.relative(url) if roots else url] if url else [],
        "key_points": [],
        "out_of_scope": refused,
        "answer_refused": refused,
        "needs_review": True,
        "rating": row["rating"],
        "comment": row.get("comment"),
        "flagged_sentence": row.get("sentence"),
        "answer": row.get("answer"),
        "source_changed": status in ("changed", "removed") if status else False,
        "feedback_at": row.get("at"),
    }


def export_feedback(
    db: Database, out_dir: Path, store: Any | None = None, checker: Any | None = None,
) -> ExportSummary:
    """Write feedback_checker.jsonl and feedback_questions.jsonl into `out_dir`.

    `checker` (a CitationChecker) adds its verdict and score to each flagged case.
    """
    rows = read_feedback(db)
    hashes = current_hashes(db)
    roots = SiteRoots(hashes or {})
    chunks: dict[str, str] = {}
    wanted = [r["citation"]["chunk_id"] for r in rows
              if r.get("citation") and r["citation"].get("chunk_id")]
    if store is not None and wanted:
        chunks = {c.id: c.text for c in store.get(sorted(set(wanted)))}
    checker_cases: list[dict[str, Any]] = []
    question_cases: list[dict[str, Any]] = []
    seen_questions: set[str] = set()
    changed = 0
    for row in rows:
        status = source_status(row.get("citation"), hashes)
        changed += status in ("changed", "removed")
        chunk = chunks.get((row.get("citation") or {}).get("chunk_id") or "")
        # A changed page's chunk is the new text, not what the reader saw: keep the quote.
        case = checker_case(row, status, chunk if status == "unchanged" else None, checker)
        if case is not None:
            checker_cases.append(case)
        key = " ".join(str(row["question"]).lower().split())
        if key not in seen_questions:
            seen_questions.add(key)
            question_cases.append(question_case(row, status, roots))
    checker_path = out_dir / "feedback_checker.jsonl"
    questions_path = out_dir / "feedback_questions.jsonl"
    write_jsonl(checker_path, checker_cases)
    write_jsonl(questions_path, question_cases)
    return ExportSummary(len(rows), len(checker_cases), len(question_cases), changed,
                         checker_path, questions_path)
