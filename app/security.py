"""Who may call what: API keys, a per-client rate limit and a request size cap."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import math
import threading
import time
from collections.abc import Callable

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import ApiError
from core.settings import Settings


def bearer_token(request: Request) -> str | None:
    """The key from `Authorization: Bearer ...` or `X-API-Key`."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.headers.get("x-api-key") or None


def _matches(token: str | None, keys: list[str]) -> bool:
    return token is not None and any(hmac.compare_digest(token, k) for k in keys)


def _refuse_key(request: Request, message: str) -> None:
    """A 401, after charging the failed attempt to the client address's rate limit.

    Guessing keys then costs what asking costs: once the address's bucket is empty the
    answer is 429, whatever key comes next.
    """
    _enforce(request, "ip:" + client_address(request))
    raise ApiError(401, "unauthorized", message)


def require_admin(request: Request) -> None:
    """Admin endpoints are closed unless an admin key is configured and presented."""
    key = request.app.state.settings.admin_api_key
    if not key:
        raise ApiError(403, "admin_disabled", "Set CAREERQA_ADMIN_API_KEY to use admin endpoints.")
    if not _matches(bearer_token(request), [key]):
        _refuse_key(request, "A valid admin API key is required.")


def require_ask_key(request: Request) -> None:
    """Ask endpoints are open unless API keys are configured (the admin key works too)."""
    settings = request.app.state.settings
    keys = list(settings.api_keys)
    if not keys:
        return
    if settings.admin_api_key:
        keys.append(settings.admin_api_key)
    if not _matches(bearer_token(request), keys):
        _refuse_key(request, "A valid API key is required (Authorization: Bearer).")


# Seconds after which any bucket has refilled completely.
_FULL_AFTER = 60.0


class RateLimiter:
    """A token bucket per client: `per_minute` requests, refilled continuously.

    A bucket left alone for a minute is full again, the same as no bucket; such buckets are
    swept once a minute, so that a stream of one-off clients cannot grow memory without bound.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._swept = clock()

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, client: str) -> float:
        """Take a token; returns 0 when allowed, else seconds until one is available."""
        if self.per_minute <= 0:
            return 0.0
        rate = self.per_minute / 60.0
        now = self._clock()
        with self._lock:
            if now - self._swept >= _FULL_AFTER:
                self._buckets = {c: b for c, b in self._buckets.items()
                                 if now - b[1] < _FULL_AFTER}
                self._swept = now
            tokens, last = self._buckets.get(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / rate


def client_id(request: Request) -> str:
    """Rate-limit by API key when a valid one is presented, else by client address.

    Only a configured key earns its own bucket: were any token enough, a client could
    send a fresh made-up token with each request and never be limited.
    """
    settings = request.app.state.settings
    token = bearer_token(request)
    keys = [*settings.api_keys, *([settings.admin_api_key] if settings.admin_api_key else [])]
    if _matches(token, keys):
        return "key:" + hashlib.sha256(token.encode()).hexdigest()[:16]
    return "ip:" + client_address(request)


def client_address(request: Request) -> str:
    """The peer address as the server saw it.

    `X-Forwarded-For` is never read here: the server (uvicorn, configured by
    `server_options`) rewrites the peer from it only for connections from
    `CAREERQA_TRUSTED_PROXIES`, so a client cannot pick its own address.
    """
    return request.client.host if request.client else "unknown"


def server_options(settings: Settings) -> dict[str, object]:
    """uvicorn's proxy options, following `trusted_proxies` (no proxy trusted by default).

    uvicorn on its own trusts `X-Forwarded-For` from 127.0.0.1, which lets any local
    client, or a proxy that passes the header through, choose the address it is limited by.
    """
    trusted = [entry.strip() for entry in settings.trusted_proxies if entry.strip()]
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(trusted)}


def rate_limited(request: Request) -> None:
    _enforce(request, client_id(request))


def _enforce(request: Request, client: str) -> None:
    """Take one of `client`'s tokens, or answer 429 with when to retry."""
    wait = request.app.state.limiter.check(client)
    if wait > 0:
        retry = max(1, math.ceil(wait))
        raise ApiError(
            429, "rate_limited", f"Too many requests; retry after {retry} s.",
            headers={"Retry-After": str(retry)}, extra={"retry_after": retry},
        )


class BodySizeLimit:
    """Rejects request bodies over `max_bytes` before they are read into memory.

    `path_limits` gives some paths their own cap: /v1/check carries whole web pages.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, path_limits: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path_limits = path_limits or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope.get("path", ""), self.max_bytes)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(send, limit)
            return
        seen = 0
        rejected = started = False

        async def limited_receive():
            nonlocal seen, rejected
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    rejected = True
                    raise _TooLarge
            return message

        async def guarded_send(message) -> None:
            nonlocal started
            # FastAPI turns any error while reading the body into its own 400; once the
            # body was cut off, that answer is replaced by the 413 below.
            if rejected and not started:
                return
            started = True
            await send(message)

        with contextlib.suppress(_TooLarge):  # our own signal, when the app lets it through
            await self.app(scope, limited_receive, guarded_send)
        if rejected and not started:
            await self._reject(send, limit)

    async def _reject(self, send: Send, limit: int) -> None:
        import json

        body = json.dumps(
            {"error": "request_too_large",
             "message": f"Request body exceeds {limit} bytes.", "limit_bytes": limit}
        ).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
