"""Fetch stage: polite, bounded, conditional HTTP fetching of HTML pages with httpx.

Every way a fetch can go wrong comes back as a value (a `FetchOutcome` with a stable reason
code) rather than an exception, so the pipeline can record why a page was skipped and go on.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import random
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Literal
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from ingest.egress import EgressPolicy, EgressRefused, VettedTransport
from ingest.errors import FetchError
from ingest.records import Page

if TYPE_CHECKING:
    from types import TracebackType

    from core.settings import Settings

log = logging.getLogger(__name__)

FetchStatus = Literal["fetched", "not_modified", "disallowed", "failed"]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# RFC 9309 asks crawlers to parse at least 500 KiB of robots.txt; more is not worth reading.
_ROBOTS_MAX_BYTES = 512 * 1024
# A hostile or mistaken `Crawl-delay: 86400` must not stall an ingest for a day.
_MAX_CRAWL_DELAY = 60.0
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FetchOutcome:
    """What happened when fetching `url`: a page, "unchanged", "not allowed", or a failure.

    `reason` is a stable code for the audit log ("http_404", "timeout", "too_large",
    "not_html", "invalid_encoding", "too_many_redirects", "robots_disallowed",
    "connect_error", ...); `detail` says the same for a human.
    """

    url: str
    status: FetchStatus
    page: Page | None = None
    reason: str | None = None
    detail: str = ""
    final_url: str | None = None
    http_status: int | None = None
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "fetched"


class _Failure(Exception):
    """Ends one fetch attempt; `retryable` failures are tried again after a pause."""

    def __init__(
        self,
        reason: str,
        detail: str,
        *,
        http_status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.http_status = http_status
        self.retryable = retryable
        self.retry_after = retry_after
        self.attempts = 0


@dataclass(frozen=True)
class _Response:
    status_code: int
    headers: httpx.Headers
    body: bytes


@dataclass
class _HostGate:
    """Spacing of request starts to one host (politeness delay or robots Crawl-delay)."""

    delay: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0


class Fetcher:
    """Fetches pages politely: bounded concurrency, per-host spacing, robots.txt, retries.

    Use as `async with Fetcher(...) as fetcher:`; robots.txt files are fetched once per
    host and cached for the life of the context.
    """

    def __init__(
        self,
        *,
        user_agent: str,
        concurrency: int = 8,
        host_delay: float = 0.0,
        timeout: float = 15.0,
        retries: int = 3,
        max_bytes: int = 5_000_000,
        max_redirects: int = 5,
        max_retry_after: float = 30.0,
        backoff_base: float = 0.5,
        egress: EgressPolicy | None = None,
    ) -> None:
        """`timeout` bounds one whole attempt (connect to last byte); `max_retry_after` caps
        every pause between attempts, whether the server's Retry-After or our own backoff.
        `egress` says which addresses may be connected to (default: public ones only)."""
        self.user_agent = user_agent
        self.concurrency = concurrency
        self.host_delay = host_delay
        self.timeout = timeout
        self.retries = retries
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.max_retry_after = max_retry_after
        self.backoff_base = backoff_base
        self.egress = egress or EgressPolicy()
        self._client: httpx.AsyncClient | None = None
        self._semaphore = asyncio.Semaphore(concurrency)
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[str, Protego | None] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Fetcher:
        return cls(
            user_agent=settings.user_agent,
            concurrency=settings.crawl_concurrency,
            host_delay=settings.crawl_host_delay,
            timeout=settings.fetch_timeout,
            retries=settings.fetch_retries,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
            max_retry_after=settings.max_retry_after,
            egress=EgressPolicy.from_entries(settings.fetch_allow),
        )

    async def __aenter__(self) -> Fetcher:
        # Fresh asyncio primitives per context: they belong to the running event loop.
        self._semaphore = asyncio.Semaphore(self.concurrency)
        self._gates, self._robots, self._robots_locks = {}, {}, {}
        self._client = httpx.AsyncClient(
            headers={"User-Agent": self.user_agent},
            timeout=self.timeout,
            follow_redirects=False,  # followed by hand: each hop is robots-checked and counted
            # Every connection (each hop, robots.txt, sitemaps) is vetted by the egress policy.
            transport=VettedTransport(self.egress),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchOutcome:
        """Fetch one HTML page; with `etag`/`last_modified` the GET is conditional.

        The validators are sent on every redirect hop, so a URL that redirects can still be
        answered with 304 by its final location.
        """
        headers = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._fetch(url, headers, _is_html, check_robots=True, limit=self.max_bytes)

    async def fetch_text(self, url: str) -> str:
        """Fetch a text or XML document (a sitemap, a URL list) and return it decoded.

        robots.txt is not consulted: these are files the operator named, not pages to index.
        Raises `FetchError` whose `reason` is the same code a `FetchOutcome` would carry.
        """
        headers = {"Accept": "application/xml,text/xml;q=0.9,text/*;q=0.8"}
        outcome = await self._fetch(
            url, headers, _is_text, check_robots=False, limit=self.max_bytes
        )
        if outcome.page is None:
            raise FetchError(f"{url}: {outcome.detail}", outcome.reason)
        return outcome.page.body.decode(outcome.page.encoding or "utf-8")

    # --- one fetch: redirects, robots, retries

    async def _fetch(
        self,
        url: str,
        headers: dict[str, str],
        accept: Callable[[str], bool],
        *,
        check_robots: bool,
        limit: int,
    ) -> FetchOutcome:
        if not _is_http(url):
            return FetchOutcome(url, "failed", reason="invalid_url", detail="not an http(s) URL")
        current, visited, attempts = url, {url}, 0
        try:
            for _hop in range(self.max_redirects + 1):
                if check_robots and not await self._robots_allow(current):
                    return FetchOutcome(
                        url,
                        "disallowed",
                        reason="robots_disallowed",
                        detail=f"robots.txt disallows {current} for {self.user_agent}",
                        final_url=current,
                        attempts=attempts,
                    )
                response, used = await self._get_with_retries(current, headers, accept, limit)
                attempts += used
                if response.status_code not in _REDIRECT_CODES:
                    return self._outcome(url, current, response, attempts)
                current = _redirect_target(current, response, visited)
                visited.add(current)
        except _Failure as failure:
            return FetchOutcome(
                url,
                "failed",
                reason=failure.reason,
                detail=failure.detail,
                final_url=current,
                http_status=failure.http_status,
                attempts=attempts + failure.attempts,
            )
        return FetchOutcome(
            url,
            "failed",
            reason="too_many_redirects",
            detail=f"more than {self.max_redirects} redirects",
            final_url=current,
            attempts=attempts,
        )

    def _outcome(
        self, url: str, final_url: str, response: _Response, attempts: int
    ) -> FetchOutcome:
        if response.status_code == 304:
            return FetchOutcome(
                url,
                "not_modified",
                detail="unchanged since the given ETag / Last-Modified",
                final_url=final_url,
                http_status=304,
                attempts=attempts,
            )
        content_type = response.headers.get("Content-Type", "")
        encoding = detect_encoding(response.body, content_type)
        try:
            response.body.decode(encoding)
        except UnicodeDecodeError as exc:
            raise _Failure(
                "invalid_encoding",
                f"body is not valid {encoding} ({exc.reason} at byte {exc.start})",
                http_status=response.status_code,
            ) from exc
        page = Page(
            url=final_url,
            body=response.body,
            content_type=_mime(content_type),
            encoding=encoding,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        return FetchOutcome(
            url,
            "fetched",
            page=page,
            final_url=final_url,
            http_status=response.status_code,
            attempts=attempts,
        )

    async def _get_with_retries(
        self, url: str, headers: dict[str, str], accept: Callable[[str], bool], limit: int
    ) -> tuple[_Response, int]:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(url, headers, accept, limit), attempt
            except _Failure as failure:
                failure.attempts = attempt
                if not failure.retryable or attempt > self.retries:
                    if attempt > 1:
                        failure.detail += f" (after {attempt} attempts)"
                    raise
                delay = self._retry_delay(attempt, failure.retry_after)
                log.info("retrying %s in %.2fs: %s", url, delay, failure.detail)
                await asyncio.sleep(delay)

    def _retry_delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        backoff = self.backoff_base * 2 ** (attempt - 1)
        # Jitter keeps many workers that failed together from retrying in lockstep.
        backoff += random.uniform(0, backoff / 4)
        return min(backoff, self.max_retry_after)

    async def _attempt(
        self, url: str, headers: dict[str, str], accept: Callable[[str], bool], limit: int
    ) -> _Response:
        client = self._require_client()
        async with self._slot(url):
            try:
                # httpx's timeout is per network operation; this bounds the whole exchange,
                # so a server dripping one byte a second cannot hold a worker forever.
                async with asyncio.timeout(self.timeout):
                    async with client.stream("GET", url, headers=headers) as response:
                        return await _read(response, accept, limit)
            except EgressRefused as exc:
                raise _Failure(exc.reason, f"refused by the egress policy: {exc.detail}") from exc
            except (TimeoutError, httpx.TimeoutException) as exc:
                raise _Failure(
                    "timeout", f"no complete response within {self.timeout:g}s", retryable=True
                ) from exc
            except httpx.ConnectError as exc:
                raise _Failure("connect_error", f"cannot connect: {exc}", retryable=True) from exc
            except httpx.TransportError as exc:
                detail = f"{type(exc).__name__}: {exc}"
                raise _Failure("network_error", detail, retryable=True) from exc
            except httpx.InvalidURL as exc:
                raise _Failure("invalid_url", str(exc)) from exc

    # --- politeness

    @asynccontextmanager
    async def _slot(self, url: str) -> AsyncIterator[None]:
        """Wait for the host's next allowed start, then for a free worker; hold the worker.

        The host lock is held only until a worker is granted, so requests to one host are
        spaced by its delay while requests to other hosts never queue behind that wait.
        """
        gate = self._gate(_origin(url))
        loop = asyncio.get_running_loop()
        async with gate.lock:
            wait = gate.next_start - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            await self._semaphore.acquire()
            gate.next_start = loop.time() + gate.delay
        try:
            yield
        finally:
            self._semaphore.release()

    def _gate(self, origin: str) -> _HostGate:
        if origin not in self._gates:
            self._gates[origin] = _HostGate(delay=self.host_delay)
        return self._gates[origin]

    async def _robots_allow(self, url: str) -> bool:
        origin = _origin(url)
        if origin not in self._robots:
            lock = self._robots_locks.setdefault(origin, asyncio.Lock())
            async with lock:
                if origin not in self._robots:
                    self._robots[origin] = await self._load_robots(origin)
        rules = self._robots[origin]
        return rules is None or rules.can_fetch(url, self.user_agent)

    async def _load_robots(self, origin: str) -> Protego | None:
        """Rules for `origin`, or None (allow all) when it has no usable robots.txt."""
        robots_url = f"{origin}/robots.txt"
        outcome = await self._fetch(
            robots_url, {}, lambda _mime: True, check_robots=False, limit=_ROBOTS_MAX_BYTES
        )
        if outcome.page is None:
            status = outcome.http_status or 0
            if 400 <= status < 500:
                log.debug("%s: no robots.txt (%s), allowing all", origin, outcome.reason)
            else:
                log.warning("%s: robots.txt unavailable (%s), allowing all", origin, outcome.detail)
            return None
        rules = Protego.parse(outcome.page.body.decode(outcome.page.encoding or "utf-8"))
        crawl_delay = rules.crawl_delay(self.user_agent)
        if crawl_delay is not None:
            gate = self._gate(origin)
            gate.delay = max(gate.delay, min(float(crawl_delay), _MAX_CRAWL_DELAY))
        return rules

    def _require_client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError("Fetcher is not open: use `async with Fetcher(...) as fetcher`")
        return self._client


async def _read(response: httpx.Response, accept: Callable[[str], bool], limit: int) -> _Response:
    """Classify a response by status and type, then read its body up to `limit` bytes."""
    status = response.status_code
    if status in _REDIRECT_CODES or status == 304:
        return _Response(status, response.headers, b"")
    if status == 429 or status >= 500:
        raise _Failure(
            f"http_{status}",
            f"HTTP {status} {response.reason_phrase}",
            http_status=status,
            retryable=True,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    if not 200 <= status < 300:
        raise _Failure(
            f"http_{status}", f"HTTP {status} {response.reason_phrase}", http_status=status
        )
    # A response without Content-Type is application/octet-stream (RFC 9110 8.3): not a page.
    mime = _mime(response.headers.get("Content-Type", "")) or "application/octet-stream"
    if not accept(mime):
        raise _Failure("not_html", f"content type {mime} is not accepted", http_status=status)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        detail = f"Content-Length {declared} exceeds the {limit}-byte limit"
        raise _Failure("too_large", detail, http_status=status)
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            detail = f"body exceeds the {limit}-byte limit"
            raise _Failure("too_large", detail, http_status=status)
    return _Response(status, response.headers, bytes(body))


def _redirect_target(url: str, response: _Response, visited: set[str]) -> str:
    location = response.headers.get("Location")
    if not location:
        status = response.status_code
        raise _Failure(f"http_{status}", f"HTTP {status} without Location", http_status=status)
    target = urljoin(url, location.strip())
    if not _is_http(target):
        raise _Failure("invalid_redirect", f"redirect to non-http(s) URL {target!r}")
    if target in visited:
        raise _Failure("too_many_redirects", f"redirect loop back to {target}")
    return target


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def detect_encoding(body: bytes, content_type: str | None = None) -> str:
    """Charset to decode `body` with: a BOM, the Content-Type charset, a <meta> or XML
    declaration in the first 4 KiB, else UTF-8 (the web's default). Unknown names are skipped."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    candidates: list[str] = []
    if content_type and (match := _HEADER_CHARSET.search(content_type)):
        candidates.append(match.group(1))
    if match := _DECLARED_CHARSET.search(body[:4096]):
        candidates.append((match.group(1) or match.group(2)).decode("ascii"))
    for name in candidates:
        try:
            return codecs.lookup(name).name
        except LookupError:
            continue
    return "utf-8"


def _mime(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _is_html(mime: str) -> bool:
    return mime in HTML_TYPES


def _is_text(mime: str) -> bool:
    return mime.startswith("text/") or mime == "application/xml" or mime.endswith("+xml")


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def _origin(url: str) -> str:
    """scheme://host[:port]: the unit robots.txt and politeness delays apply to."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"
