"""What is indexed, and the admin endpoints that change it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from app.deps import IngestQueueDep, RefreshDep, SettingsDep, StateDep, StoreDep
from app.errors import ApiError
from app.routes.responses import error_responses
from app.security import rate_limited, require_admin, require_ask_key
from core import jobs
from core.settings import Settings
from ingest.removal import remove_page
from ingest.sources import LocalPath, SourceSpec, UrlFile, parse_sources

router = APIRouter(prefix="/v1", tags=["sources"],
                   responses=error_responses(401, 422, 429, 503))
_ADMIN_ERRORS = error_responses(400, 403, 413)


def source_id(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


class SourceInfo(BaseModel):
    """One page the ingest has seen: stored, a duplicate, failed or disallowed."""

    id: str = Field(description="Stable id of the page (use it with DELETE).")
    url: str
    title: str | None
    status: str = Field(description="stored | duplicate | failed | disallowed")
    chunks: int
    content_hash: str | None
    fetched_at: str | None
    reason: str | None = Field(None, description="Why it failed, when it did.")
    error: str | None = None
    duplicate_of: str | None = None
    near_duplicate_of: str | None = None


class IngestRequest(BaseModel):
    """Sources to ingest now: `urls`, `sitemap` or `crawl` entries, as in sources.yaml."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"sources": [{"sitemap": "https://blog.example.com/sitemap.xml"}],
                          "prune": False}]
        },
    )

    sources: list[dict[str, Any]] = Field(
        min_length=1, description="Source entries, as in a sources.yaml file."
    )
    prune: bool = Field(False, description="Remove pages that vanished from these sources.")


def network_sources(entries: list[dict[str, Any]], settings: Settings) -> list[SourceSpec]:
    """The request's sources as specs; 422 naming the entry and the problem.

    Only network sources are accepted over HTTP: `local` and `url_file` would read files
    on the server, which an admin key (or a leaked one) should not reach. The CLI reads them.
    """
    try:
        specs = parse_sources({"sources": entries}, base_dir=Path.cwd(), where="request",
                              default_max_depth=settings.crawl_max_depth,
                              default_max_pages=settings.crawl_max_pages)
    except ValueError as exc:
        raise ApiError(422, "invalid_sources", str(exc)) from exc
    for i, spec in enumerate(specs):
        if isinstance(spec, LocalPath | UrlFile):
            kind = next(iter(entries[i]))
            raise ApiError(422, "invalid_sources",
                           f"request: sources[{i}].{kind}: reads server files, which is not "
                           "allowed over HTTP; use urls, sitemap or crawl (or `careerqa ingest`).")
    return specs


@router.get("/sources", response_model=list[SourceInfo], summary="What is indexed",
            dependencies=[Depends(require_ask_key), Depends(rate_limited)],
            )
async def list_sources(state: StateDep) -> list[SourceInfo]:
    pages = await run_in_threadpool(state.pages)
    return [
        SourceInfo(
            id=source_id(p.url), url=p.url, title=p.title, status=p.status,
            chunks=p.chunk_count, content_hash=p.doc_hash, fetched_at=p.fetched_at,
            reason=p.reason, error=p.error, duplicate_of=p.duplicate_of,
            near_duplicate_of=p.near_duplicate_of,
        )
        for p in pages
    ]


class IngestJob(BaseModel):
    """An ingest job: queued by POST /v1/ingest, run by a worker, its progress as it goes."""

    id: int = Field(description="Job id, for GET /v1/ingest/{id}.")
    status: str = Field(description="queued | running | done | failed")
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    attempts: int = Field(description="Runs so far (a job whose worker died is resumed).")
    progress: dict[str, Any] | None = Field(None, description="The summary so far.")
    summary: dict[str, Any] | None = Field(None, description="What the run did, when done.")
    error: str | None = None
    joined: bool = Field(False, description="An identical job was already active: this is it.")


def _job_info(job: jobs.Job, *, joined: bool = False) -> IngestJob:
    return IngestJob(id=job.id, status=job.status, created_at=job.created_at,
                     started_at=job.started_at, finished_at=job.finished_at,
                     attempts=job.attempts, progress=job.progress, summary=job.summary,
                     error=job.error, joined=joined)


@router.post("/ingest", summary="Queue an ingest of sources (admin)", status_code=202,
             response_model=IngestJob, dependencies=[Depends(require_admin)],
             responses=_ADMIN_ERRORS)
async def ingest(body: IngestRequest, queue: IngestQueueDep,
                 settings: SettingsDep) -> IngestJob:
    """Answers at once with the job; a worker runs it (`GET /v1/ingest/{id}` to follow).
    The same sources while a job for them is queued or running join that job."""
    network_sources(body.sources, settings)  # 422 before anything is queued
    request = {"sources": body.sources, "prune": body.prune}
    job, created = await run_in_threadpool(queue.enqueue, request)
    return _job_info(job, joined=not created)


@router.get("/ingest/{job_id}", summary="An ingest job's progress and summary (admin)",
            response_model=IngestJob, dependencies=[Depends(require_admin)],
            responses={**_ADMIN_ERRORS, **error_responses(404)})
async def ingest_job(job_id: int, queue: IngestQueueDep) -> IngestJob:
    job = await run_in_threadpool(queue.get, job_id)
    if job is None:
        raise ApiError(404, "job_not_found", f"No ingest job {job_id}.")
    return _job_info(job)


@router.delete("/sources/{source}", summary="Remove a page and its chunks (admin)",
               dependencies=[Depends(require_admin)],
               responses={**_ADMIN_ERRORS, **error_responses(404)})
async def delete_source(source: str, state: StateDep, store: StoreDep,
                        refresh: RefreshDep) -> dict[str, Any]:
    """A recorded exact copy of the page is indexed in its place at once."""
    page = next((p for p in await run_in_threadpool(state.pages)
                 if source in (source_id(p.url), p.url)), None)
    if page is None:
        raise ApiError(404, "source_not_found", f"No indexed source with id or URL {source!r}.")
    removal = await run_in_threadpool(remove_page, page.url, store, state)
    await run_in_threadpool(refresh)
    return {"id": source_id(page.url), "url": page.url, "chunks_removed": removal.chunks_removed,
            "promoted": removal.promoted}
