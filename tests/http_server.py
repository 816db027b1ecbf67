"""A real HTTP server for tests: a folder of static files plus programmable routes.

Static files are served with ETag and Last-Modified and answer conditional requests with
304, like a real site; `routes` maps exact paths to handlers for the pages real sites get
wrong (errors, throttling, slowness, huge or binary bodies, bad encodings, redirect loops).

    with serve_site(tmp_path) as site:
        site.routes["/flaky"] = fail_then(2, status=503)
        site.write("blog/post.html", html_page("Post"))   # change a page while serving
        ...fetch site.url_for("/blog/post.html")...
        assert site.hits["/flaky"] == 3
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, formatdate, parsedate_to_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class Request:
    """A request as a route sees it; `hit` is 1 for the first request to this path, 2 next..."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-cased names
    hit: int


@dataclass
class Reply:
    """What a route answers. `delay` waits before answering (for timeouts); without
    `send_length` the body has no Content-Length and ends when the connection closes."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    send_length: bool = True


Route = Callable[[Request], Reply]


# --- pages and routes


def html_page(title: str, text: str = "", links: Iterable[str] = ()) -> bytes:
    """A small valid HTML page with a title, a paragraph and links (hrefs used verbatim)."""
    anchors = "".join(f'<li><a href="{escape(href)}">{escape(href)}</a></li>' for href in links)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title></head><body><article><h1>{escape(title)}</h1>"
        f"<p>{escape(text or title)}</p></article><ul>{anchors}</ul></body></html>"
    ).encode()


def respond(reply: Reply) -> Route:
    """Always the same reply."""
    return lambda _request: reply


def status(code: int, body: bytes = b"") -> Route:
    """Always HTTP `code`."""
    return respond(Reply(status=code, body=body or f"status {code}".encode()))


def fail_then(
    failures: int, status: int = 500, retry_after: str | None = None, then: Reply | None = None
) -> Route:
    """`failures` times HTTP `status` (with Retry-After when given), then `then` (a page).

    Counts with the server's per-path hits: reset the server or use a fresh path to reuse.
    """
    success = then or Reply(body=html_page("Recovered", "The page works on a retry."))
    headers = {"Retry-After": retry_after} if retry_after is not None else {}

    def route(request: Request) -> Reply:
        if request.hit <= failures:
            return Reply(status=status, body=b"try again later", headers=headers)
        return success

    return route


def slow(seconds: float, body: bytes | None = None) -> Route:
    """A page that waits `seconds` before answering."""
    return respond(Reply(body=body or html_page("Slow"), delay=seconds))


def held_until(release: threading.Event, timeout: float = 60) -> Route:
    """An article the server holds back until the test sets `release` (a page that drips
    for as long as the test needs, without any timing)."""
    page = html_page("Held page", "Staff engineers sponsor quiet people. " * 30)

    def route(_request: Request) -> Reply:
        release.wait(timeout)
        return Reply(body=page)

    return route


def oversized(size: int, send_length: bool = False) -> Route:
    """An HTML page of `size` bytes, by default streamed without a Content-Length."""
    head = b"<!doctype html><html><body><p>"
    filler = b"x" * max(0, size - len(head))
    return respond(Reply(body=head + filler, send_length=send_length))


def content(body: bytes, content_type: str | None) -> Route:
    """A 200 response with any body and Content-Type (None: no Content-Type header)."""
    return respond(Reply(body=body, content_type=content_type))


def redirect(location: str, code: int = 302) -> Route:
    """A redirect to `location` (sent verbatim, so relative locations are possible)."""
    return respond(Reply(status=code, headers={"Location": location}, content_type=None))


REDIRECT_CHAIN_LENGTH = 6


def _throttled_until_next_second(request: Request) -> Reply:
    """429 with an HTTP-date Retry-After (one second ahead) on the first hit, then a page."""
    if request.hit > 1:
        return Reply(body=html_page("Recovered", "The page works on a retry."))
    retry_date = format_datetime(datetime.now(UTC) + timedelta(seconds=1), usegmt=True)
    return Reply(status=429, body=b"slow down", headers={"Retry-After": retry_date})


def bad_pages() -> dict[str, Route]:
    """The standard misbehaving pages installed under /bad/ unless `bad_pages=False`."""
    routes: dict[str, Route] = {
        "/bad/404": status(404),
        "/bad/500": status(500),  # always fails
        "/bad/500-once": fail_then(1, status=500),
        "/bad/429": fail_then(1, status=429, retry_after="1"),
        "/bad/429-date": _throttled_until_next_second,
        "/bad/slow": slow(10.0),  # beyond any test timeout; shutdown wakes it
        "/bad/huge": oversized(2_000_000),
        "/bad/huge-declared": oversized(2_000_000, send_length=True),
        "/bad/pdf": content(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
        "/bad/png": content(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png"),
        "/bad/no-content-type": content(html_page("Untyped"), None),
        # Declared UTF-8, but \xff and a lone continuation byte can never be UTF-8.
        "/bad/invalid-utf8": content(
            b"<html><body><p>caf\xff \x80 broken</p></body></html>", "text/html; charset=utf-8"
        ),
        "/bad/loop-a": redirect("/bad/loop-b"),
        "/bad/loop-b": redirect("/bad/loop-a"),
        "/bad/redirect/0": respond(Reply(body=html_page("End of the redirect chain"))),
    }
    # /bad/redirect/N takes N redirects (alternating absolute-path and relative) to reach 0.
    for n in range(1, REDIRECT_CHAIN_LENGTH + 1):
        target = f"/bad/redirect/{n - 1}" if n % 2 else str(n - 1)
        routes[f"/bad/redirect/{n}"] = redirect(target, 301 if n % 2 else 307)
    return routes


# --- the server


_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}


class SiteServer:
    """A running test server. `url` has no trailing slash; `hits` counts requests per path."""

    def __init__(self, root: Path | None, routes: dict[str, Route]) -> None:
        self.root = root.resolve() if root is not None else None
        self.routes = routes
        self.hits: Counter[str] = Counter()
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.site = self
        host, port = self._httpd.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url_for(self, path: str) -> str:
        return self.url + "/" + path.lstrip("/")

    def write(self, path: str, data: str | bytes) -> Path:
        """Create or change a served file; its Last-Modified always moves forward.

        HTTP dates have one-second resolution, so a file rewritten within the second it was
        served would otherwise still look unmodified to If-Modified-Since.
        """
        if self.root is None:
            raise RuntimeError("this server has no root folder")
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        previous = target.stat().st_mtime if target.exists() else 0.0
        target.write_bytes(data.encode() if isinstance(data, str) else data)
        mtime = max(datetime.now(UTC).timestamp(), previous + 1)
        os.utime(target, (mtime, mtime))
        return target

    def reset(self) -> None:
        """Forget hits and recorded requests (counting routes start over)."""
        with self._lock:
            self.hits.clear()
            self.requests.clear()

    def record(self, method: str, target: str, headers: dict[str, str]) -> Request:
        parts = urlsplit(target)
        path = unquote(parts.path) or "/"
        with self._lock:
            self.hits[path] += 1
            request = Request(method, path, parts.query, headers, self.hits[path])
            self.requests.append(request)
        return request

    def answer(self, request: Request) -> Reply:
        route = self.routes.get(request.path)
        if route is not None:
            return route(request)
        return self._static(request)

    def _static(self, request: Request) -> Reply:
        if self.root is None:
            return Reply(status=404, body=b"not found")
        file = (self.root / request.path.lstrip("/")).resolve()
        if not file.is_relative_to(self.root) or not file.exists():
            return Reply(status=404, body=b"not found")
        if file.is_dir():
            if not request.path.endswith("/"):
                return Reply(status=301, headers={"Location": request.path + "/"})
            file = file / "index.html"
            if not file.is_file():
                return Reply(status=404, body=b"no index")
        body = file.read_bytes()
        mtime = int(file.stat().st_mtime)
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        validators = {"ETag": etag, "Last-Modified": formatdate(mtime, usegmt=True)}
        if _not_modified(request.headers, etag, mtime):
            return Reply(status=304, content_type=None, headers=validators)
        content_type = _CONTENT_TYPES.get(file.suffix.lower()) or (
            mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        )
        return Reply(body=body, content_type=content_type, headers=validators)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()  # wakes routes that are sleeping out a delay
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _not_modified(headers: dict[str, str], etag: str, mtime: int) -> bool:
    """RFC 9110 13.1: If-None-Match decides when present; else If-Modified-Since."""
    if "if-none-match" in headers:
        tags = {tag.strip().removeprefix("W/") for tag in headers["if-none-match"].split(",")}
        return "*" in tags or etag in tags
    if "if-modified-since" in headers:
        try:
            since = parsedate_to_datetime(headers["if-modified-since"])
        except (TypeError, ValueError):
            return False
        return mtime <= since.timestamp()
    return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: SiteServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that time out and hang up are expected; a broken route still shows."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._serve(with_body=True)

    def do_HEAD(self) -> None:
        self._serve(with_body=False)

    def _serve(self, with_body: bool) -> None:
        site = self.server.site
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = site.answer(site.record(self.command, self.path, headers))
        if reply.delay and site.stopping.wait(reply.delay):
            return
        try:
            self.send_response(reply.status)
            if reply.content_type:
                self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.send_length:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if with_body and reply.status != 304:
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout or size limit): that is what the test wanted

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the recorded `requests` are the log."""


@contextmanager
def serve_site(
    root_dir: str | Path | None = None, *, with_bad_pages: bool = True
) -> Iterator[SiteServer]:
    """Serve `root_dir` (and the /bad/ pages) on 127.0.0.1 at a free port for the block."""
    root = Path(root_dir) if root_dir is not None else None
    site = SiteServer(root, bad_pages() if with_bad_pages else {})
    site.start()
    try:
        yield site
    finally:
        site.stop()
