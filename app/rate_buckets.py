"""Rate-limit buckets every replica shares: one token bucket per client in the database.

`app.security.RateLimiter` keeps buckets in process memory, which is right for one
process; behind a load balancer each replica would allow its own quota. With a shared
database configured (`CAREERQA_DATABASE_URL`), `DatabaseRateLimiter` keeps them in the
`rate_buckets` table instead. Taking a token is one conditional UPDATE (refill, then
take, only if a whole token is there), so concurrent replicas cannot both take the last
one: PostgreSQL re-checks the condition on the row it waited for. With a Redis server
configured (`CAREERQA_REDIS_URL`) the buckets live there instead (`app.rate_redis`).
"""

from __future__ import annotations

import time
from typing import Protocol

from sqlalchemy import case, delete, select, update

from app.rate_redis import RedisRateLimiter
from app.security import RateLimiter
from core.db import Database
from core.settings import Settings
from core.tables import RateBucketRow

# A bucket untouched for this long is full again, the same as no bucket: swept.
_FULL_AFTER = 60.0


class Limiter(Protocol):
    """Takes a token for `client`: 0 when allowed, else the seconds until one is back."""

    def check(self, client: str) -> float: ...


class DatabaseRateLimiter:
    """`per_minute` requests per client across every replica on one database."""

    def __init__(self, db: Database, per_minute: int) -> None:
        self.db = db
        self.per_minute = per_minute
        self._swept = time.time()

    def check(self, client: str) -> float:
        if self.per_minute <= 0:
            return 0.0
        cap, rate, now = float(self.per_minute), self.per_minute / 60.0, time.time()
        # Replicas' clocks and a request delayed between reading the clock and writing may
        # be behind the row's time: such a request refills nothing and leaves the row's time
        # alone, so that no interval is ever counted twice.
        later = RateBucketRow.updated < now
        elapsed = case((later, now - RateBucketRow.updated), else_=0.0)
        grown = RateBucketRow.tokens + elapsed * rate
        refilled = case((grown > cap, cap), else_=grown)
        stamp = case((later, now), else_=RateBucketRow.updated)
        with self.db.session() as s:
            if now - self._swept >= _FULL_AFTER:
                self._swept = now
                s.execute(delete(RateBucketRow).where(RateBucketRow.updated < now - _FULL_AFTER))
            # Twice: a request that lost the race to create the bucket takes from it next.
            for _ in range(2):
                taken = s.execute(update(RateBucketRow)
                                  .where(RateBucketRow.client == client, refilled >= 1)
                                  .values(tokens=refilled - 1, updated=stamp)).rowcount
                if taken:
                    return 0.0
                # RETURNING, not rowcount: psycopg reports 1 for a conflict that did nothing.
                if s.execute(_insert_new(self.db, client, cap - 1, now)).first() is not None:
                    return 0.0
            tokens, updated = s.execute(select(RateBucketRow.tokens, RateBucketRow.updated)
                                        .where(RateBucketRow.client == client)).one()
        current = min(cap, tokens + max(0.0, now - updated) * rate)
        # Denied: at least a moment, even if a token came back since the UPDATE looked.
        return max(0.001, (1 - current) / rate)


def _insert_new(db: Database, client: str, tokens: float, now: float):
    """A full bucket minus this request's token, unless another replica made it first."""
    if db.is_postgres:
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return (insert(RateBucketRow).values(client=client, tokens=tokens, updated=now)
            .on_conflict_do_nothing(index_elements=["client"]).returning(RateBucketRow.client))


def limiter_for(settings: Settings, db: Database) -> Limiter:
    """Shared buckets in Redis when `CAREERQA_REDIS_URL` is set, else in the records
    database when that is a server every replica uses; per process otherwise (the
    embedded SQLite mode runs one process)."""
    if settings.redis_url:
        return RedisRateLimiter(settings.redis_url, settings.rate_limit_per_minute)
    if settings.database_url and db.is_postgres:
        return DatabaseRateLimiter(db, settings.rate_limit_per_minute)
    return RateLimiter(settings.rate_limit_per_minute)
