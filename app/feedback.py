"""Reader feedback (thumbs, comments, "this source doesn't say that" flags) kept in SQLite."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from app.models import FeedbackRequest
from ingest.state import now_iso

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    rating TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    comment TEXT,
    sentence TEXT,
    citation TEXT
)
"""


class FeedbackStore:
    """Append-only feedback log; the citation is kept whole, with its source version."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)

    def add(self, item: FeedbackRequest) -> int:
        citation = item.citation.model_dump_json() if item.citation else None
        cur = self._db.execute(
            "INSERT INTO feedback(at, rating, question, answer, comment, sentence, citation)"
            " VALUES (?,?,?,?,?,?,?)",
            (now_iso(), item.rating, item.question, item.answer, item.comment, item.sentence,
             citation),
        )
        return int(cur.lastrowid or 0)

    def all(self) -> list[dict]:
        rows = [dict(r) for r in self._db.execute("SELECT * FROM feedback ORDER BY id")]
        for row in rows:
            row["citation"] = json.loads(row["citation"]) if row["citation"] else None
        return rows

    def close(self) -> None:
        self._db.close()
