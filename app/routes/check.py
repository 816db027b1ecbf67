"""POST /v1/check: the citation checker on its own, for any RAG system's answers."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool

from app.check.models import CheckReport, SourceText
from app.deps import CheckerDep, SettingsDep
from app.errors import ApiError
from app.models import CheckRequest
from app.routes.responses import error_responses
from app.security import rate_limited, require_ask_key

router = APIRouter(
    prefix="/v1",
    tags=["check"],
    dependencies=[Depends(require_ask_key), Depends(rate_limited)],
    responses=error_responses(400, 401, 413, 422, 429),
)


@router.post(
    "/check",
    response_model=CheckReport,
    summary="Check an answer's citations against its sources",
    description=(
        "Splits the answer into sentences with their `[n]` markers and judges, per sentence, "
        "whether the cited sources support it (supported / partial / unsupported, with a "
        "reason code), and per answer the citation recall and precision."
    ),
)
async def check(body: CheckRequest, checker: CheckerDep, settings: SettingsDep) -> CheckReport:
    limit = settings.check_max_source_chars
    for source in body.sources:
        if len(source.text) > limit:
            raise ApiError(
                413, "source_too_large",
                f"Source {source.id} has {len(source.text)} characters; the limit is {limit}.",
                extra={"limit_chars": limit, "source": source.id},
            )
    sources = [SourceText(id=s.id, text=s.text, url=s.url) for s in body.sources]
    return await run_in_threadpool(checker.check, body.answer, sources, body.quotes)
