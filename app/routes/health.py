"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from core import jobs

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The store and the model are ready to answer")
async def readyz(request: Request) -> JSONResponse:
    parts = getattr(request.app.state, "parts", None)
    if parts is None or not request.app.state.ready:
        starter = getattr(request.app.state, "starter", None)
        if starter is not None and starter.error is not None:
            return JSONResponse({"status": "failed", "message": str(starter.error)},
                                status_code=503)
        return JSONResponse({"status": "starting"}, status_code=503)
    try:
        # A Chroma server's count is a network call: off the event loop, like the database's.
        chunks = await run_in_threadpool(parts.store.count)
    except Exception as exc:  # a Chroma server that went away
        return JSONResponse({"status": "store_unavailable", "message": str(exc)}, status_code=503)
    try:
        ingest_jobs = await run_in_threadpool(jobs.active_count, parts.db)
    except Exception as exc:  # the records database went away
        return JSONResponse({"status": "database_unavailable", "message": str(exc)},
                            status_code=503)
    body = {"status": "ready", "chunks": chunks, "model": parts.embedder.name,
            "generation": parts.watcher.seen, "ingest_jobs_active": ingest_jobs}
    if parts.warmer is not None:
        # Answers work meanwhile; new questions are just slower until it is idle.
        body["sentence_warmup"] = parts.warmer.status()
    return JSONResponse(body)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4")
