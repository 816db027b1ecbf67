"""Reader feedback (thumbs, comments, "this source doesn't say that" flags) in the records
database, where every replica writes and the export reads."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.models import FeedbackRequest
from core.db import Database
from core.tables import FeedbackRow
from ingest.state import now_iso


class FeedbackStore:
    """Append-only feedback log; the citation is kept whole, with its source version."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, item: FeedbackRequest) -> int:
        """Store one item; its id comes from the INSERT itself (each call has its own
        connection), so concurrent requests never share or repeat one."""
        citation = item.citation.model_dump_json() if item.citation else None
        row = FeedbackRow(at=now_iso(), rating=item.rating, question=item.question,
                          answer=item.answer, comment=item.comment, sentence=item.sentence,
                          citation=citation)
        with self.db.session() as s:
            s.add(row)
            s.flush()
            return int(row.id)

    def all(self, ratings: tuple[str, ...] | None = None) -> list[dict]:
        """Every row oldest first (or those with the given ratings), citation decoded."""
        query = select(FeedbackRow).order_by(FeedbackRow.id)
        if ratings:
            query = query.where(FeedbackRow.rating.in_(ratings))
        with self.db.session() as s:
            rows = [{c.name: getattr(r, c.name) for c in FeedbackRow.__table__.columns}
                    for r in s.scalars(query)]
        for row in rows:
            try:
                row["citation"] = json.loads(row["citation"]) if row["citation"] else None
            except json.JSONDecodeError:
                row["citation"] = None  # unreadable citation: the row still counts
        return rows
