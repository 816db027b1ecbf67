"""What routes depend on: one small provider per part, each a FastAPI dependency.

The lifespan builds the parts (`app.parts.Parts`) once; each provider below hands a route
the one part it names, so a route's signature says what it uses and a test can replace
any one of them with `app.dependency_overrides[provider] = ...`. While the parts are
still loading, every provider that needs them answers 503 `not_ready`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from app.check import CitationChecker
from app.errors import ApiError
from app.feedback import FeedbackStore
from app.ingest_queue import IngestQueue
from app.metrics import Metrics
from app.parts import Parts
from app.service import AskService
from core.settings import Settings
from ingest.state import IngestState
from ingest.store import VectorStore


def ready_parts(request: Request) -> Parts:
    """The loaded parts; 503 while the lifespan is still building them."""
    parts = getattr(request.app.state, "parts", None)
    if parts is None or not request.app.state.ready:
        raise ApiError(503, "not_ready", "The service is starting; try again shortly.")
    return parts


_Parts = Annotated[Parts, Depends(ready_parts)]


def get_settings(request: Request) -> Settings:
    """The app's settings (there from the start, before the parts are loaded)."""
    return request.app.state.settings


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


def get_service(parts: _Parts) -> AskService:
    return parts.service


def get_checker(parts: _Parts) -> CitationChecker:
    return parts.checker


def get_feedback(parts: _Parts) -> FeedbackStore:
    return parts.feedback


def get_state(parts: _Parts) -> IngestState:
    """The ingest records: which pages are stored, duplicates, failures."""
    return parts.state


def get_store(parts: _Parts) -> VectorStore:
    return parts.store


def get_ingest_queue(parts: _Parts) -> IngestQueue:
    return IngestQueue(parts.db, parts.worker)


def get_refresh(parts: _Parts) -> Callable[[], None]:
    """Catch this app's caches up with a change it just made, rather than at the next poll."""
    return parts.refresh


SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ServiceDep = Annotated[AskService, Depends(get_service)]
CheckerDep = Annotated[CitationChecker, Depends(get_checker)]
FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback)]
StateDep = Annotated[IngestState, Depends(get_state)]
StoreDep = Annotated[VectorStore, Depends(get_store)]
IngestQueueDep = Annotated[IngestQueue, Depends(get_ingest_queue)]
RefreshDep = Annotated[Callable[[], None], Depends(get_refresh)]
