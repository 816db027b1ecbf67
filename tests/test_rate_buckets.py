"""Rate-limit buckets in the database: one quota per client across every replica."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.rate_buckets import DatabaseRateLimiter, limiter_for
from app.security import RateLimiter
from core.db import Database
from tests.conftest import make_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    if request.param == "sqlite":
        settings = make_settings(tmp_path / "data")
    else:
        settings = make_settings(tmp_path / "data",
                                 database_url=request.getfixturevalue("postgres_url"))
    db = Database.from_settings(settings)
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM rate_buckets")
    yield db
    db.close()


def test_replicas_sharing_a_database_share_one_quota(database):
    replicas = [DatabaseRateLimiter(database, 10) for _ in range(3)]

    def ask(n: int) -> float:
        return replicas[n % 3].check("ip:203.0.113.9")

    started = time.monotonic()
    with ThreadPoolExecutor(6) as pool:
        waits = list(pool.map(ask, range(30)))
    # 10, not 10 per replica; plus the one token per 6 s that comes back meanwhile.
    refilled = int((time.monotonic() - started) / 6)
    assert 10 <= sum(w == 0 for w in waits) <= 10 + refilled
    assert all(0 < w <= 6 for w in waits if w)  # one token of 10/min is back within 6 s
    assert replicas[0].check("ip:198.51.100.1") == 0  # another client has its own bucket


def test_buckets_are_shared_only_with_a_database_server(tmp_path, postgres_url):
    local = make_settings(tmp_path / "a", rate_limit_per_minute=5)
    db = Database.from_settings(local)
    assert isinstance(limiter_for(local, db), RateLimiter)  # one process: memory
    db.close()
    shared = make_settings(tmp_path / "b", rate_limit_per_minute=5, database_url=postgres_url)
    db = Database.from_settings(shared)
    assert isinstance(limiter_for(shared, db), DatabaseRateLimiter)
    db.close()
