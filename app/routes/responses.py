"""The error statuses a route can answer, for its OpenAPI `responses`: one wording for all."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from app.models import ErrorResponse

_MEANING = {
    400: "The body could not be read (malformed or truncated).",
    401: "A valid API key is required (`Authorization: Bearer ...` or `X-API-Key`).",
    403: "Admin endpoints are disabled: no `CAREERQA_ADMIN_API_KEY` is configured.",
    404: "Nothing by that name.",
    409: "An ingest is already running.",
    413: "The body exceeds `CAREERQA_MAX_REQUEST_BYTES`.",
    422: "A field is missing, of the wrong type or out of bounds; the body names it.",
    429: "Too many requests (or failed keys) from this client; retry after `Retry-After`.",
    503: "The vector store cannot be reached; retry shortly.",
}


def error_responses(
    *statuses: int, model: type[BaseModel] = ErrorResponse
) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for `statuses`, each with its body model and meaning."""
    return {status: {"model": model, "description": _MEANING[status]} for status in statuses}
