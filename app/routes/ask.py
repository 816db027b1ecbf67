"""POST /v1/ask and its server-sent-events twin."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from app.deps import MetricsDep, ServiceDep
from app.errors import describe_failure
from app.models import AskRequest, AskResponse
from app.routes.responses import error_responses
from app.security import rate_limited, require_ask_key

log = logging.getLogger("careerqa")

router = APIRouter(
    prefix="/v1",
    tags=["ask"],
    dependencies=[Depends(require_ask_key), Depends(rate_limited)],
    responses=error_responses(400, 401, 413, 422, 429, 503),
)


@router.post("/ask", response_model=AskResponse, summary="Answer a question with checked citations")
async def ask(body: AskRequest, service: ServiceDep, metrics: MetricsDep) -> AskResponse:
    response = await run_in_threadpool(service.ask, body)
    metrics.observe_answer(
        response.timings_ms, response.citation_check.get("passed")
    )
    return response


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post(
    "/ask/stream",
    summary="The same answer as server-sent events",
    description=(
        "Events, in order: `citations` (numbered sources), `delta` (answer text, repeated), "
        "`check` (per-sentence verdicts), `done` (the full /v1/ask response). "
        "On failure an `error` event with {error, message}."
    ),
    response_class=StreamingResponse,
)
async def ask_stream(body: AskRequest, request: Request, service: ServiceDep,
                     metrics: MetricsDep) -> StreamingResponse:
    stream = service.stream(body)
    # The first event is awaited before any byte is sent: a question the service refuses, or
    # a store that is down, is an HTTP error status rather than a 200 with an error event.
    first = await anext(stream)

    async def events() -> AsyncIterator[str]:
        try:
            event, data = first
            while True:
                if await request.is_disconnected():
                    return
                if event == "done":
                    metrics.observe_answer(
                        data.get("timings_ms", {}), data.get("citation_check", {}).get("passed")
                    )
                yield sse(event, data)
                try:
                    event, data = await anext(stream)
                except StopAsyncIteration:
                    return
        except Exception as exc:  # the stream has started: report in-band, not as a status
            _status, code, message = describe_failure(exc)
            log.exception("streamed answer failed: %s", code)
            yield sse("error", {"error": code, "message": message})
        finally:
            await stream.aclose()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
