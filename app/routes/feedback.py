"""POST /v1/feedback: thumbs, comments and "this source doesn't say that" flags."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool

from app.deps import FeedbackDep
from app.models import FeedbackRequest, FeedbackResponse
from app.routes.responses import error_responses
from app.security import rate_limited, require_ask_key

router = APIRouter(
    prefix="/v1",
    tags=["feedback"],
    dependencies=[Depends(require_ask_key), Depends(rate_limited)],
    responses=error_responses(400, 401, 413, 422, 429),
)


@router.post("/feedback", response_model=FeedbackResponse, status_code=201,
             summary="Store feedback on an answer or one of its citations")
async def feedback(body: FeedbackRequest, store: FeedbackDep) -> FeedbackResponse:
    feedback_id = await run_in_threadpool(store.add, body)
    return FeedbackResponse(id=feedback_id)
