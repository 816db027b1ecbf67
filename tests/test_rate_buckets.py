"""Rate-limit buckets in the database or Redis: one quota per client across every replica."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from app.errors import ApiError
from app.rate_buckets import DatabaseRateLimiter, Limiter, limiter_for
from app.rate_redis import RedisRateLimiter
from app.security import RateLimiter
from core.db import Database
from tests.conftest import make_settings
from tests.widget_support import free_port


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def shared_limiter(request, tmp_path):
    """Makes limiters (one a replica) that share one store of buckets, emptied first."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        redis.Redis.from_url(url).flushdb()
        made: list[RedisRateLimiter] = []

        def make(per_minute: int) -> Limiter:
            made.append(RedisRateLimiter(url, per_minute))
            return made[-1]

        yield make
        for limiter in made:
            limiter.close()
        return
    if request.param == "sqlite":
        settings = make_settings(tmp_path / "data")
    else:
        settings = make_settings(tmp_path / "data",
                                 database_url=request.getfixturevalue("postgres_url"))
    db = Database.from_settings(settings)
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM rate_buckets")
    yield lambda per_minute: DatabaseRateLimiter(db, per_minute)
    db.close()


def test_replicas_sharing_a_store_share_one_quota(shared_limiter: Callable[[int], Limiter]):
    replicas = [shared_limiter(10) for _ in range(3)]

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


def test_a_redis_url_puts_the_buckets_in_redis_and_its_outage_is_a_503(tmp_path, redis_url):
    settings = make_settings(tmp_path / "data", rate_limit_per_minute=5, redis_url=redis_url)
    db = Database.from_settings(settings)
    limiter = limiter_for(settings, db)
    db.close()
    assert isinstance(limiter, RedisRateLimiter)
    assert limiter.check("ip:192.0.2.7") == 0
    # A server nobody listens on: the request is refused with a reason, not a 500.
    gone = RedisRateLimiter(f"redis://127.0.0.1:{free_port()}/0", 5)
    with pytest.raises(ApiError) as refused:
        gone.check("ip:192.0.2.7")
    assert refused.value.status == 503 and refused.value.code == "rate_limit_unavailable"


def test_two_apps_on_one_redis_give_a_client_one_quota_between_them(tmp_path, redis_url,
                                                                     embedder):
    from fastapi.testclient import TestClient

    from app.main import create_app

    redis.Redis.from_url(redis_url).flushdb()
    # Separate data directories (two SQLite files): only Redis is shared.
    apps = [create_app(make_settings(tmp_path / name, rate_limit_per_minute=3,
                                     redis_url=redis_url, ingest_sample_on_start=False,
                                     worker_in_process=False), embedder=embedder)
            for name in ("a", "b")]
    body = {"rating": "up", "question": "q", "answer": "a"}
    with TestClient(apps[0]) as a, TestClient(apps[1]) as b:
        assert [a.post("/v1/feedback", json=body).status_code for _ in range(3)] == [201] * 3
        refused = b.post("/v1/feedback", json=body)
        assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
        assert 0 < int(refused.headers["Retry-After"]) <= 20  # one of 3/min is back in 20 s
