"""A real local HTTP server speaking the OpenAI chat-completions protocol, with scripted replies.

It sits at the boundary of the outside world (the LLM), so tests fake it there and
nowhere else: the client, answerer and service under test talk real HTTP to it.

    with serve_openai() as llm:
        llm.reply = lambda body: Reply("Staff engineers own outcomes [1].")
        settings = Settings(llm_base_url=llm.base_url, ...)
        ...
        assert llm.requests[0]["messages"][0]["role"] == "system"

Non-streaming requests get one JSON completion; `"stream": true` gets server-sent
events (`data: {...}` chunks of `Reply.chunk_chars` characters, then `data: [DONE]`).
`Reply.delay` sleeps before answering (to test timeouts), `Reply.status` >= 400
answers with an OpenAI-style error body, `Reply.raw` sends a body as is.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_SOURCE = re.compile(r'<source id="(\d+)"[^>]*>\n(.*?)\n</source>', re.DOTALL)


@dataclass
class Reply:
    text: str = ""
    delay: float = 0.0
    status: int = 200
    chunk_chars: int = 16
    raw: bytes | None = None


@dataclass
class FakeOpenAI:
    host: str
    port: int
    reply: Callable[[dict[str, Any]], Reply] = field(default=lambda body: Reply("OK."))
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order (the last one repeats)."""
        queue = list(replies)

        def next_reply(_body: dict[str, Any]) -> Reply:
            return queue.pop(0) if len(queue) > 1 else queue[0]

        self.reply = next_reply


def sources_in(body: dict[str, Any]) -> dict[int, str]:
    """The numbered sources of a request built from prompts/answer.txt: {id: text}."""
    prompt = "\n".join(m.get("content", "") for m in body.get("messages", []))
    return {int(n): text for n, text in _SOURCE.findall(prompt)}


# Phrases of the Portal case study that scripted replies quote; only the sentences quoted
# contain them (the case study also says "unstable Wi-Fi" in other words), so
# `source_saying` finds the one source a reply should cite.
WIFI = "environmental causes such as unstable Wi-Fi"
RESULT = "fell by 5% across the fleet"


def source_saying(body: dict[str, Any], phrase: str) -> int:
    """The number of the first source in the request whose text contains `phrase`."""
    for number, text in sorted(sources_in(body).items()):
        if phrase.lower() in text.lower():
            return number
    raise AssertionError(f"no source in the prompt says {phrase!r}")


def _completion(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text},
             "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _chunk(model: str, delta: dict[str, str], finish: str | None = None) -> bytes:
    payload = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(payload)}\n\n".encode()


def _handler(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            pass

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, b'{"error": {"message": "not found"}}')
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            server.requests.append(body)
            reply = server.reply(body)
            if reply.delay:
                time.sleep(reply.delay)
            # A client that gave up (a timeout test) has nobody left to answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._respond(body, reply)

        def _respond(self, body: dict[str, Any], reply: Reply) -> None:
            model = str(body.get("model", "test-model"))
            if reply.raw is not None:
                self._send(reply.status, reply.raw)
            elif reply.status >= 400:
                error = {"error": {"message": reply.text or "scripted failure", "type": "test"}}
                self._send(reply.status, json.dumps(error).encode())
            elif body.get("stream"):
                self._stream(model, reply)
            else:
                self._send(200, json.dumps(_completion(model, reply.text)).encode())

        def _send(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _stream(self, model: str, reply: Reply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            self.wfile.write(_chunk(model, {"role": "assistant"}))
            self.wfile.write(b": keep-alive\n\n")
            text = reply.text
            for i in range(0, len(text), reply.chunk_chars):
                self.wfile.write(_chunk(model, {"content": text[i : i + reply.chunk_chars]}))
                self.wfile.flush()
            self.wfile.write(_chunk(model, {}, finish="stop"))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


@contextmanager
def serve_openai() -> Iterator[FakeOpenAI]:
    """Run the fake on a free local port for the duration of the block."""
    fake = FakeOpenAI("127.0.0.1", 0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    httpd.daemon_threads = True  # a handler still sleeping through a timeout test must not block
    fake.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, name="fake-openai", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
