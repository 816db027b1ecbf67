"""Helpers for the widget's browser tests: real servers, host pages, crafted streams, checks.

The widget is tested the way a site owner uses it: the careerqa service runs on one port,
the host page is served from another (so every call is cross-origin and CORS is exercised),
and Debian's Chromium drives the page.
"""

from __future__ import annotations

import html
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import uvicorn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
QUESTION = "What do great staff engineers do?"

# Evaluated in the page: the widget's shadow root and what has focus inside it.
SHADOW = "document.querySelector('careerqa-widget').shadowRoot"
ACTIVE_CLASS = f"(() => {{ const a = {SHADOW}.activeElement; return a ? a.className : null; }})()"
FOCUS_IN_PANEL = (
    f"(() => {{ const r = {SHADOW}; const a = r.activeElement;"
    " return !!a && r.querySelector('.panel').contains(a); })()"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bound_socket() -> socket.socket:
    """A listening-ready socket on a free port, handed to uvicorn so there is no port race."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def run_service(app, **options: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread (`options` go to its Config); yields its URL."""
    sock = bound_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # the lifespan builds the store and model parts
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the careerqa service did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


# --------------------------------------------------------------------------- host pages

HOSTILE_CSS = """
  /* A host page with heavy-handed global styles: none of it may reach the widget. */
  body { font: 19px/1.8 Georgia, serif; background: #fbfaf7; color: #222; margin: 40px; }
  button { background: rgb(255, 0, 0) !important; font-family: cursive !important;
           border-radius: 0 !important; }
  p, div { letter-spacing: 3px; }
  * { text-transform: uppercase; }
"""


def host_page(script_src: str, *, body: str = "", **data: str) -> str:
    """A career-blog-like host page embedding the widget with data-* attributes."""
    attrs = " ".join(f'data-{k.replace("_", "-")}="{html.escape(v)}"' for k, v in data.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Field Notes: a host page</title><style>{HOSTILE_CSS}</style></head>
<body>
<a href="#top" id="first-link">Skip to content</a>
<h1 id="top">Owning Outcomes, Not Tickets</h1>
<p id="host-text">Early in a career, most engineers are judged by whether their tickets
get closed.</p>
{body}
<script src="{html.escape(script_src)}" {attrs} defer></script>
</body></html>"""


@dataclass
class SlowStream:
    """A real SSE endpoint that dribbles an answer out, for exercising the stop button."""

    deltas: list[str]
    delay: float = 0.4
    citations: list[dict] = field(default_factory=list)
    disconnected: threading.Event = field(default_factory=threading.Event)


class HostServer:
    """A second origin: serves host pages by path, plus an optional slow SSE endpoint."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.slow: SlowStream | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _cors(self) -> None:
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Headers", "Content-Type, Authorization")

            def do_OPTIONS(self) -> None:
                self.send_response(204)
                self._cors()
                self.end_headers()

            def do_GET(self) -> None:
                page = server.pages.get(self.path.split("?")[0])
                if page is None:
                    self.send_error(404)
                    return
                body = page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                slow = server.slow
                if slow is None or not self.path.endswith("/v1/ask/stream"):
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self._cors()
                self.end_headers()
                try:
                    self.wfile.write(sse_event("citations", {
                        "citations": slow.citations, "question": QUESTION, "mode": "extractive",
                        "covered": True, "uncovered": []}).encode())
                    for text in slow.deltas:
                        self.wfile.write(sse_event("delta", {"text": text}).encode())
                        self.wfile.flush()
                        time.sleep(slow.delay)
                except (BrokenPipeError, ConnectionResetError):
                    slow.disconnected.set()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HostServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, path: str, page: str) -> str:
        self.pages[path] = page
        return self.url + path


# --------------------------------------------------------------------------- crafted streams


def sse_event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def citation(id: int, **overrides) -> dict:
    """A complete Citation as the API sends it."""
    base = {
        "id": id,
        "url": f"https://fieldnotes.example/articles/post-{id}.html",
        "fragment_url": f"https://fieldnotes.example/articles/post-{id}.html#:~:text=quote%20{id}",
        "title": f"Article {id}",
        "author": "Priya Raman",
        "published": "2025-03-11",
        "heading_path": [f"Article {id}"],
        "quote": f"Quote number {id} from the article.",
        "start": 0,
        "end": 30,
        "chunk_id": f"chunk{id}",
        "chunk_start": 0,
        "chunk_end": 30,
        "score": 0.8,
        "content_hash": f"hash{id}",
        "fetched_at": "2026-01-01T00:00:00+00:00",
    }
    return {**base, **overrides}


def answer_stream(answer: str, citations: list[dict], sentences: list[dict], *,
                  covered: bool = True, chunk: int = 25, question: str = QUESTION) -> str:
    """A full /v1/ask/stream body: citations, deltas, check, done."""
    unsupported = [i for i, s in enumerate(sentences) if not s["supported"]]
    check = {
        "recall": 1 - len(unsupported) / max(1, len(sentences)),
        "precision": 1.0,
        "passed": not unsupported,
        "problems": [{"sentence_index": i, "reason": "unsupported",
                      "message": sentences[i].get("reason") or "unsupported"} for i in unsupported],
    }
    done = {
        "answer": answer, "sentences": sentences, "citations": citations, "citation_check": check,
        "covered": covered, "uncovered": [] if covered else ["the question"], "question": question,
        "mode": "extractive", "degraded": False, "notice": None, "timings_ms": {"total": 1.0},
    }
    parts = [sse_event("citations", {"citations": citations, "question": question,
                                     "mode": "extractive", "covered": covered, "uncovered": []})]
    parts += [sse_event("delta", {"text": answer[i:i + chunk]})
              for i in range(0, len(answer), chunk)]
    parts.append(sse_event("check", {"sentences": sentences, "citation_check": check}))
    parts.append(sse_event("done", done))
    return "".join(parts)


def sentence(text: str, cites: list[int], supported: bool = True,
             reason: str | None = None) -> dict:
    return {"text": text, "citations": cites, "supported": supported,
            "verdict": "supported" if supported else "unsupported",
            "score": 0.9 if supported else 0.1, "reason": reason}


CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Retry-After"}


def fulfill_stream(body: str):
    """A page.route handler answering the ask stream with `body`."""
    def handler(route) -> None:
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers={**CORS_HEADERS, "Access-Control-Allow-Headers": "*"})
        else:
            route.fulfill(status=200, body=body,
                          headers={**CORS_HEADERS, "Content-Type": "text/event-stream"})
    return handler


# --------------------------------------------------------------------------- checks


def feedback_rows(settings) -> list[dict]:
    """Every stored feedback row, read straight from the service's records database."""
    from sqlalchemy import text

    from core.db import Database

    db = Database.from_settings(settings)
    try:
        with db.engine.connect() as con:
            return [dict(r) for r in
                    con.execute(text("SELECT * FROM feedback ORDER BY id")).mappings()]
    finally:
        db.close()


def session_state(page) -> dict:
    """The widget's persisted conversation (sessionStorage), parsed."""
    raw = page.evaluate(
        "() => { for (let i = 0; i < sessionStorage.length; i++) { const k = sessionStorage.key(i);"
        " if (k.startsWith('careerqa:')) return sessionStorage.getItem(k); } return null; }"
    )
    return json.loads(raw) if raw else {}


# WCAG AA contrast of every visible text node in the widget, against the first opaque
# background behind it. Returns the failures.
CONTRAST_JS = """
() => {
  const root = document.querySelector('careerqa-widget').shadowRoot;
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return { rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1 };
  };
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const background = (el) => {
    for (let n = el; n; n = n.parentElement || (n.getRootNode() && n.getRootNode().host)) {
      const bg = parse(getComputedStyle(n).backgroundColor);
      if (bg && bg.a > 0.5) return bg.rgb;
    }
    return [255, 255, 255];
  };
  const failures = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.data.trim() || !el || !el.getClientRects().length) continue;
    if (el.closest('.sr-only, [hidden]')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    // Faded (disabled) controls are exempt from the contrast rule.
    let opacity = 1;
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      opacity *= Number(getComputedStyle(n).opacity);
    }
    if (opacity < 0.99) continue;
    const fg = parse(style.color);
    const bg = background(el);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const r = ratio(fg.rgb, bg);
    if (r < (large ? 3 : 4.5)) {
      failures.push({ text: node.data.trim().slice(0, 40), ratio: Math.round(r * 100) / 100,
                      color: style.color, cls: el.className });
    }
  }
  return failures;
}
"""
