"""Errors as JSON: one place maps project exceptions and validation failures to responses."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.question_cost import QuestionTooCostly
from ingest.errors import StoreUnavailable

log = logging.getLogger("careerqa")

# Routes with this tag answer errors in OpenAI's shape, {"error": {"message", "type", "code"}}:
# OpenAI SDKs read the message from there, and show a flat body as just "Error code: 404".
OPENAI_TAG = "openai-compatible"
_OPENAI_TYPES = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}


class ApiError(Exception):
    """An error with an HTTP status, a stable code and a message for people."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.extra = extra or {}


def _body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **{k: v for k, v in extra.items() if v is not None}}


def _openai_body(status: int, code: str, message: str, **extra: Any) -> dict[str, Any]:
    kind = _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    param = extra.pop("param", None)
    return {"error": {"message": message, "type": kind, "code": code, "param": param,
                      **{k: v for k, v in extra.items() if v is not None}}}


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """The error as JSON, in OpenAI's shape on the OpenAI-compatible routes."""
    route = request.scope.get("route")
    if OPENAI_TAG in (getattr(route, "tags", None) or []):
        body = _openai_body(status, code, message, **extra)
    else:
        extra.pop("param", None)
        body = _body(code, message, **extra)
    return JSONResponse(body, status_code=status, headers=headers)


def describe_failure(exc: BaseException) -> tuple[int, str, str]:
    """Status, code and message for an exception no route anticipated."""
    if isinstance(exc, StoreUnavailable):
        return 503, "store_unavailable", str(exc)
    if isinstance(exc, httpx.TransportError):
        # Chroma's HTTP client lets transport errors through as they are; the LLM client
        # and the fetcher wrap theirs, so in a request a bare one means the store is gone.
        return 503, "store_unavailable", (
            f"The vector store could not be reached ({type(exc).__name__}: {exc}); "
            "try again shortly."
        )
    return 500, "internal_error", "An unexpected error occurred; it has been logged."


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request, exc.status, exc.code, exc.message, headers=exc.headers,
                              **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p != "body"]
            details.append({"field": ".".join(loc) or "body", "message": err.get("msg", "")})
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
        return error_response(request, 422, "validation_error", f"Invalid request: {summary}",
                              details=details, param=details[0]["field"] if details else None)

    @app.exception_handler(QuestionTooCostly)
    async def _too_costly(request: Request, exc: QuestionTooCostly) -> JSONResponse:
        details = [{"field": exc.field, "message": str(exc)}]
        return error_response(request, 422, exc.code, str(exc), details=details,
                              param=exc.field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(request, exc.status_code, code, str(exc.detail),
                              headers=exc.headers)

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        status, code, message = describe_failure(exc)
        log.warning("%s: %s", code, message)
        return error_response(request, status, code, message)

    app.add_exception_handler(StoreUnavailable, _unavailable)
    app.add_exception_handler(httpx.TransportError, _unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Runs in Starlette's outermost middleware, which re-raises afterwards so that the
        # server logs the traceback; the client gets JSON instead of a text/plain 500.
        status, code, message = describe_failure(exc)
        return error_response(request, status, code, message)
