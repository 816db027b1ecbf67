"""OpenAI-compatible /v1/chat/completions and /v1/models, so chat UIs and SDKs can talk to us.

The model name picks the answering mode; citations ride along in an extra `citations`
field and, in the message text, as Markdown footnotes.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.deps import ServiceDep
from app.errors import OPENAI_TAG, ApiError
from app.markdown_safety import sanitize_markdown
from app.models import AskRequest, AskResponse, ChatTurn
from app.routes.responses import error_responses
from app.security import rate_limited, require_ask_key


class OpenAIErrorDetail(BaseModel):
    """What went wrong, where OpenAI clients look for it."""

    message: str = Field(description="What was wrong, for a person.")
    type: str = Field(description="invalid_request_error | authentication_error | ...")
    code: str = Field(description="Machine-readable code, e.g. `model_not_found`.")
    param: str | None = Field(None, description="The request field at fault, if one is.")


class OpenAIErrorResponse(BaseModel):
    """Errors of these routes use OpenAI's shape, so OpenAI SDKs show their message."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"error": {
        "message": "Unknown model 'gpt-4'; use one of ['careerqa', 'careerqa-extractive', "
                   "'careerqa-llm'].",
        "type": "invalid_request_error", "code": "model_not_found", "param": "model"}}]})

    error: OpenAIErrorDetail


router = APIRouter(
    prefix="/v1",
    tags=[OPENAI_TAG],
    dependencies=[Depends(require_ask_key), Depends(rate_limited)],
    responses=error_responses(400, 401, 404, 413, 422, 429, 503, model=OpenAIErrorResponse),
)

MODELS = {
    "careerqa": "auto",
    "careerqa-extractive": "extractive",
    "careerqa-llm": "llm",
}


class ChatMessage(BaseModel):
    """One chat message; user and assistant turns become the question and its history."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    """An OpenAI chat-completion request; the last message must be the user's question."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{
            "model": "careerqa",
            "messages": [{"role": "user", "content": "What do great staff engineers do?"}],
        }]},
    )

    model: str = Field("careerqa", description="careerqa | careerqa-extractive | careerqa-llm")
    messages: list[ChatMessage] = Field(min_length=1, max_length=60)
    stream: bool = False


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if isinstance(content, list):  # content parts: keep the text ones
        return " ".join(str(p.get("text", "")) for p in content if p.get("type") == "text")
    return content or ""


def to_ask_request(body: ChatCompletionRequest) -> AskRequest:
    if body.model not in MODELS:
        raise ApiError(404, "model_not_found",
                       f"Unknown model {body.model!r}; use one of {sorted(MODELS)}.",
                       extra={"param": "model"})
    turns = [m for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user" or not _text(turns[-1].content).strip():
        raise ApiError(422, "validation_error", "messages: the last message must be a user turn.",
                       extra={"param": "messages"})
    try:
        history = [ChatTurn(role=m.role, content=_text(m.content)[:8000]) for m in turns[:-1]]
        return AskRequest(question=_text(turns[-1].content)[:2000], history=history[-40:],
                          mode=MODELS[body.model])
    except ValidationError as exc:
        problem = exc.errors()[0]
        message = f"messages: the last user message is not a question ({problem['msg']})."
        raise ApiError(422, "validation_error", message, extra={"param": "messages"}) from exc


def with_footnotes(response: AskResponse) -> str:
    """The answer with `[n]` turned into Markdown footnotes that name and quote each source."""
    text = re.sub(r"\[(\d+)\]", r"[^\1]", response.answer)
    notes = [f'[^{c.id}]: [{c.title}]({c.fragment_url}) — "{c.quote}"' for c in response.citations]
    # Titles and quotes are page text: sanitised like the answer before they become Markdown.
    return sanitize_markdown(text + ("\n\n" + "\n".join(notes) if notes else ""))


def _extra(response: AskResponse) -> dict[str, Any]:
    return {
        "citations": [c.model_dump() for c in response.citations],
        "citation_check": response.citation_check,
        "careerqa": {"answer": response.answer, "mode": response.mode,
                     "degraded": response.degraded, "covered": response.covered},
    }


@router.get("/models", summary="Models (answering modes) this service offers")
async def models() -> dict[str, Any]:
    now = int(time.time())
    return {"object": "list", "data": [
        {"id": name, "object": "model", "created": now, "owned_by": "careerqa"} for name in MODELS
    ]}


@router.post("/chat/completions", summary="OpenAI-compatible chat completion (cited)")
async def chat_completions(body: ChatCompletionRequest, service: ServiceDep):
    request = to_ask_request(body)
    response: AskResponse = await run_in_threadpool(service.ask, request)
    content = with_footnotes(response)
    if response.degraded and response.notice:
        # Chat UIs show only the message: a model that could not answer as asked says so
        # there, not only in the extra `careerqa.degraded` field no UI displays.
        content = f"*{response.notice}*\n\n{content}"
    completion_id = "chatcmpl-" + uuid.uuid4().hex[:24]
    created = int(time.time())
    usage = {"prompt_tokens": len(request.question.split()),
             "completion_tokens": len(content.split()),
             "total_tokens": len(request.question.split()) + len(content.split())}
    if not body.stream:
        return JSONResponse({
            "id": completion_id, "object": "chat.completion", "created": created,
            "model": body.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop", "logprobs": None}],
            "usage": usage, **_extra(response),
        })

    async def chunks() -> AsyncIterator[str]:
        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            payload = {"id": completion_id, "object": "chat.completion.chunk",
                       "created": created, "model": body.model,
                       "choices": [{"index": 0, "delta": delta, "finish_reason": finish,
                                    "logprobs": None}], **extra}
            return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        for piece in re.split(r"(?<=\n)|(?<=\. )", content):
            if piece:
                yield chunk({"content": piece})
        yield chunk({}, "stop", usage=usage, **_extra(response))
        yield "data: [DONE]\n\n"

    return StreamingResponse(chunks(), media_type="text/event-stream")
