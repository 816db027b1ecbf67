"""What is indexed, and the admin endpoints that change it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from app.errors import ApiError
from app.routes.deps import PartsDep
from app.routes.responses import error_responses
from app.security import rate_limited, require_admin, require_ask_key
from core.settings import Settings
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
async def list_sources(parts: PartsDep) -> list[SourceInfo]:
    return [
        SourceInfo(
            id=source_id(p.url), url=p.url, title=p.title, status=p.status,
            chunks=p.chunk_count, content_hash=p.doc_hash, fetched_at=p.fetched_at,
            reason=p.reason, error=p.error, duplicate_of=p.duplicate_of,
            near_duplicate_of=p.near_duplicate_of,
        )
        for p in parts.state.pages()
    ]


@router.post("/ingest", summary="Ingest sources now (admin)",
             dependencies=[Depends(require_admin)],
             responses={**_ADMIN_ERRORS, **error_responses(409)})
async def ingest(body: IngestRequest, parts: PartsDep) -> dict[str, Any]:
    from ingest.pipeline import Ingestor

    specs = network_sources(body.sources, parts.settings)
    if not parts.ingest_lock.acquire(blocking=False):
        raise ApiError(409, "ingest_running", "An ingest is already running.")
    try:
        ingestor = Ingestor(parts.settings, parts.embedder, parts.store, parts.state,
                            progress=False)
        summary = await run_in_threadpool(ingestor.run, specs, prune=body.prune)
        await run_in_threadpool(parts.refresh)
    finally:
        parts.ingest_lock.release()
    return summary.as_dict()


@router.delete("/sources/{source}", summary="Remove a page and its chunks (admin)",
               dependencies=[Depends(require_admin)],
               responses={**_ADMIN_ERRORS, **error_responses(404)})
async def delete_source(source: str, parts: PartsDep) -> dict[str, Any]:
    page = next((p for p in parts.state.pages() if source in (source_id(p.url), p.url)), None)
    if page is None:
        raise ApiError(404, "source_not_found", f"No indexed source with id or URL {source!r}.")
    removed = await run_in_threadpool(parts.store.delete_document, page.url)
    parts.state.delete(page.url)
    await run_in_threadpool(parts.refresh)
    return {"id": source_id(page.url), "url": page.url, "chunks_removed": removed}
