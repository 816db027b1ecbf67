"""Builds the FastAPI app: parts are created in the lifespan; routes take the ones they use
through the providers of `app.deps`."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from app.errors import install_error_handlers
from app.metrics import Metrics, RequestMetrics
from app.parts import build_parts
from app.rate_buckets import limiter_for
from app.routes import ask, check, feedback, health, openai_compat, sources, widget
from app.sample_urls import SAMPLE_MOUNT
from app.security import BodySizeLimit, RateLimiter
from core.db import Database
from core.settings import SAMPLE_SITE_DIR, Settings
from ingest.embed import Embedder
from ingest.store import ChromaStore

log = logging.getLogger("careerqa")


def create_app(settings: Settings | None = None, *, embedder: Embedder | None = None) -> FastAPI:
    """The careerqa service. `embedder` lets tests share one loaded model across apps."""
    settings = settings or Settings()

    def build() -> None:
        parts = build_parts(settings, embedder, store=store, db=db)
        parts.start()
        app.state.parts = parts
        app.state.ready = True

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal store, db
        # The store and the database first, in the foreground: an unreachable Chroma
        # server or database stops the start at once.
        store = await run_in_threadpool(ChromaStore.from_settings, settings)
        db = await run_in_threadpool(Database.from_settings, settings)
        app.state.limiter = limiter_for(settings, db)
        starter = _Starter(build)
        if settings.start_in_background:
            # /healthz answers meanwhile; /readyz and the answering routes say "starting".
            starter.start()
            app.state.starter = starter
        else:
            await run_in_threadpool(starter.run)
            if starter.error is not None:
                raise starter.error
        try:
            yield
        finally:
            app.state.ready = False
            await run_in_threadpool(starter.join)
            parts = getattr(app.state, "parts", None)
            if parts is not None:
                await run_in_threadpool(parts.close)
            else:
                db.close()

    store: ChromaStore | None = None
    db: Database | None = None

    # FastAPIOffline serves Swagger UI and ReDoc from files its wheel installs (under
    # /static-offline-docs), so /docs and /redoc work without reaching a CDN.
    app = FastAPIOffline(
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

    app.add_middleware(RequestMetrics, metrics=app.state.metrics)

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


class _Starter:
    """Builds the parts (model, answerers, caches) on a thread; keeps the error if any."""

    def __init__(self, build) -> None:
        self._build = build
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self.run, name="careerqa-start", daemon=True)

    def run(self) -> None:
        try:
            self._build()
        except Exception as exc:  # shown by /readyz and the log; the process stays up
            log.exception("the service could not start")
            self.error = exc

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        if self._thread.ident is not None:
            self._thread.join()
