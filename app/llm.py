"""A small client for OpenAI-compatible /chat/completions (OpenAI, vLLM, Ollama, llama.cpp).

Only the standard request fields (model, messages, temperature, stream) are sent, so
every server that speaks the protocol works. Every failure, whether HTTP status, timeout,
refused connection or a reply without text, surfaces as one `LLMError`, which is what
lets the service fall back to extractive answers.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal, Protocol

import httpx

from core.settings import Settings

Message = dict[str, str]
FailureReason = Literal["timeout", "connection", "http_status", "malformed"]


class LLMError(Exception):
    """The language model did not produce a usable reply."""

    def __init__(self, reason: FailureReason, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status


class ChatClient(Protocol):
    """What answering and condensing need from a chat model (OpenAIChat, or a test double
    speaking the same protocol). `complete` alone is the checker's ChatModel."""

    def complete(self, messages: list[Message], *, temperature: float = 0.0) -> str: ...

    def stream(self, messages: list[Message], *, temperature: float = 0.0) -> Iterator[str]: ...

    def astream(
        self, messages: list[Message], *, temperature: float = 0.0
    ) -> AsyncIterator[str]: ...


class OpenAIChat:
    """Chat completions over httpx; satisfies the checker's ChatModel protocol.

    The sync client is kept for connection reuse (httpx.Client is thread-safe); async
    calls open a client per call because an AsyncClient belongs to one event loop.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 30.0,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout), headers=self._headers, transport=transport
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIChat:
        if not settings.llm_base_url:
            raise ValueError("llm_base_url is not set")
        return cls(
            settings.llm_base_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout
        )

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def close(self) -> None:
        self._client.close()

    def _body(self, messages: list[Message], temperature: float, stream: bool) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": messages,
            "temperature": temperature,
            "stream": stream,
        }

    # --- sync -------------------------------------------------------------------------------

    def complete(self, messages: list[Message], *, temperature: float = 0.0) -> str:
        """The assistant's whole reply."""
        try:
            response = self._client.post(self.url, json=self._body(messages, temperature, False))
        except httpx.HTTPError as exc:
            raise _transport_error(exc, self.timeout) from exc
        _raise_for_status(response.status_code, response.text)
        return _message_text(response.text)

    def stream(self, messages: list[Message], *, temperature: float = 0.0) -> Iterator[str]:
        """Text deltas as the server sends them (server-sent events, ended by [DONE])."""
        deadline = time.monotonic() + self.timeout * 4  # slow trickles end too
        try:
            with self._client.stream(
                "POST", self.url, json=self._body(messages, temperature, True)
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    _raise_for_status(response.status_code, response.text)
                for line in response.iter_lines():
                    if time.monotonic() > deadline:
                        raise LLMError("timeout", "the model's stream exceeded its deadline")
                    event = _sse_data(line)
                    if event is _DONE:
                        return
                    if event is not None:
                        yield event
        except httpx.HTTPError as exc:
            raise _transport_error(exc, self.timeout) from exc

    # --- async ------------------------------------------------------------------------------

    async def acomplete(self, messages: list[Message], *, temperature: float = 0.0) -> str:
        async with httpx.AsyncClient(timeout=httpx.Timeout(self.timeout),
                                     headers=self._headers) as client:
            try:
                body = self._body(messages, temperature, False)
                response = await client.post(self.url, json=body)
            except httpx.HTTPError as exc:
                raise _transport_error(exc, self.timeout) from exc
        _raise_for_status(response.status_code, response.text)
        return _message_text(response.text)

    async def astream(
        self, messages: list[Message], *, temperature: float = 0.0
    ) -> AsyncIterator[str]:
        deadline = time.monotonic() + self.timeout * 4
        async with httpx.AsyncClient(timeout=httpx.Timeout(self.timeout),
                                     headers=self._headers) as client:
            try:
                async with client.stream(
                    "POST", self.url, json=self._body(messages, temperature, True)
                ) as response:
                    if response.status_code >= 400:
                        await response.aread()
                        _raise_for_status(response.status_code, response.text)
                    async for line in response.aiter_lines():
                        if time.monotonic() > deadline:
                            raise LLMError("timeout", "the model's stream exceeded its deadline")
                        event = _sse_data(line)
                        if event is _DONE:
                            return
                        if event is not None:
                            yield event
            except httpx.HTTPError as exc:
                raise _transport_error(exc, self.timeout) from exc


_DONE = "\x00[DONE]"  # sentinel; compared by identity


def _sse_data(line: str) -> str | None:
    """The text delta of one SSE line; None for comments, keep-alives and role-only chunks."""
    line = line.strip()
    if not line.startswith("data:"):
        return None  # blank separators, ": keep-alive" comments, "event:" lines
    payload = line[5:].strip()
    if payload == "[DONE]":
        return _DONE
    try:
        data = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise LLMError("malformed", f"unparseable stream chunk: {payload[:200]!r}") from exc
    if isinstance(data, dict) and "error" in data:
        raise LLMError("http_status", f"model error in stream: {str(data['error'])[:300]}")
    try:
        choice = data["choices"][0] if data.get("choices") else {}
        content = (choice.get("delta") or {}).get("content")
    except (AttributeError, KeyError, IndexError, TypeError) as exc:
        raise LLMError("malformed", f"unexpected stream chunk: {payload[:200]!r}") from exc
    return content or None


def _message_text(body: str) -> str:
    try:
        data = json.loads(body)
        content = data["choices"][0]["message"]["content"]
    except (json.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
        raise LLMError("malformed", f"unexpected completion reply: {body[:200]!r}") from exc
    if not isinstance(content, str) or not content.strip():
        raise LLMError("malformed", "the completion has no text")
    return content


def _raise_for_status(status: int, body: str) -> None:
    if status >= 400:
        raise LLMError("http_status", f"model server answered HTTP {status}: {body[:300]}", status)


def _transport_error(exc: httpx.HTTPError, timeout: float) -> LLMError:
    if isinstance(exc, httpx.TimeoutException):
        return LLMError("timeout", f"no reply from the model within {timeout:g} s")
    return LLMError("connection", f"cannot reach the model server: {exc}")
