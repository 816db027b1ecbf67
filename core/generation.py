"""The index generation: one counter in the records database, bumped by every change.

Every ingest batch and every deletion bumps it; every replica polls it and refreshes what
it caches when it moves (`app.refresher`), so a change made through one replica is seen by
all within a poll interval.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from core.db import Database
from core.tables import GenerationRow


def current(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(GenerationRow.generation).where(GenerationRow.id == 1)) or 0)


def bump(db: Database) -> int:
    """Advance the generation by one (atomically: replicas may bump at once)."""
    at = datetime.now(UTC).isoformat(timespec="milliseconds")
    with db.session() as s:
        # The row exists from the first migration on.
        s.execute(update(GenerationRow).where(GenerationRow.id == 1)
                  .values(generation=GenerationRow.generation + 1, changed_at=at))
        return int(s.scalar(select(GenerationRow.generation).where(GenerationRow.id == 1)))
