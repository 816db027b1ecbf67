"""Builds the FastAPI app: parts are created in the lifespan and handed to routes via app.state."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from app.errors import install_error_handlers
from app.metrics import Metrics
from app.parts import SAMPLE_MOUNT, build_parts
from app.routes import ask, check, feedback, health, openai_compat, sources, widget
from app.security import BodySizeLimit, RateLimiter
from core.settings import SAMPLE_SITE_DIR, Settings
from ingest.embed import Embedder


def create_app(settings: Settings | None = None, *, embedder: Embedder | None = None) -> FastAPI:
    """The careerqa service. `embedder` lets tests share one loaded model across apps."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # In a worker thread: building may run a first ingest, which has its own event loop.
        parts = await run_in_threadpool(build_parts, settings, embedder)
        parts.start()
        app.state.parts = parts
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            await run_in_threadpool(parts.close)

    app = FastAPI(
        title="careerqa",
        version="0.1.0",
        summary="Cited answers to engineering-career questions, with a citation-accuracy check.",
        description=(
            "Every answer sentence carries `[n]` citations with the exact quote it relies on, "
            "and every answer is checked: which sentences their sources really support."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.ready = False
    app.state.metrics = Metrics()
    app.state.limiter = RateLimiter(settings.rate_limit_per_minute)
    install_error_handlers(app)

    @app.middleware("http")
    async def _observe(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        app.state.metrics.requests.labels(path, str(response.status_code)).inc()
        app.state.metrics.latency.labels(path).observe(time.perf_counter() - started)
        return response

    # The last added is the outermost: CORS wraps the size limit, so that a browser on
    # another origin can read the 413 instead of seeing a bare network error.
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_bytes,
        path_limits={"/v1/check": settings.check_max_request_bytes},
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-API-Key"],
        expose_headers=["Retry-After"],
        max_age=600,
    )

    for module in (ask, check, openai_compat, sources, feedback, health, widget):
        app.include_router(module.router)
    app.mount(SAMPLE_MOUNT, StaticFiles(directory=SAMPLE_SITE_DIR, html=True), name="sample")
    return app
