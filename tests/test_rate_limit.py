"""The per-client token bucket, on a clock the test moves."""

from __future__ import annotations

from app.security import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_waits_for_a_token_and_gets_it_back_over_time() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock=clock)
    assert limiter.check("a") == 0 and limiter.check("a") == 0
    assert limiter.check("a") == 30.0  # two a minute: the next token in 30 s
    assert limiter.check("b") == 0  # others have their own bucket
    clock.now += 30
    assert limiter.check("a") == 0


def test_idle_clients_are_forgotten_after_a_minute() -> None:
    clock = Clock()
    limiter = RateLimiter(5, clock=clock)
    for i in range(100):
        limiter.check(f"one-off-{i}")
    assert len(limiter) == 100
    clock.now += 61
    limiter.check("regular")
    assert len(limiter) == 1
