"""Rate-limit buckets in Redis (`CAREERQA_REDIS_URL`): one token bucket per client that
every replica shares, taken atomically by a Lua script on the server.

The script reads the bucket, refills it for the time since its last use, takes a token if
a whole one is there and writes it back, all in one step Redis runs alone, so two replicas
can never both take the last token. Time is Redis's own clock (`TIME`), so replicas whose
clocks differ still refill every bucket at the same rate. A bucket expires once it would
be full again, the same as no bucket: nothing to sweep.
"""

from __future__ import annotations

import redis

from app.errors import ApiError

# KEYS[1]: the bucket; ARGV[1]: capacity (requests per minute); ARGV[2]: tokens per second.
# Returns the seconds until a token is back, as a string (0 when this request took one):
# Redis would truncate a Lua number to an integer.
_TAKE = """
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(bucket[1]) or cap
local updated = tonumber(bucket[2]) or now
if now > updated then
  tokens = math.min(cap, tokens + (now - updated) * rate)
else
  now = updated
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil((cap - tokens) / rate) + 1)
return tostring(wait)
"""

_PREFIX = "careerqa:rate:"


class RedisRateLimiter:
    """`per_minute` requests per client across every replica on one Redis server."""

    def __init__(self, url: str, per_minute: int) -> None:
        self.per_minute = per_minute
        self.client = redis.Redis.from_url(url)
        self._take = self.client.register_script(_TAKE)

    def check(self, client: str) -> float:
        """Take a token for `client`: 0 when allowed, else the seconds until one is back."""
        if self.per_minute <= 0:
            return 0.0
        try:
            wait = float(self._take(keys=[_PREFIX + client],
                                    args=[self.per_minute, self.per_minute / 60.0]))
        except redis.RedisError as exc:
            raise ApiError(503, "rate_limit_unavailable",
                           f"The shared rate-limit store cannot be reached: {exc}") from exc
        # Denied: at least a moment, however close the next token is.
        return 0.0 if wait == 0 else max(0.001, wait)

    def close(self) -> None:
        self.client.close()


