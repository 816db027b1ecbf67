"""Route dependencies: the app's parts, handed over from the lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.errors import ApiError
from app.parts import Parts


def get_parts(request: Request) -> Parts:
    parts = getattr(request.app.state, "parts", None)
    if parts is None or not request.app.state.ready:
        raise ApiError(503, "not_ready", "The service is starting; try again shortly.")
    return parts


PartsDep = Annotated[Parts, Depends(get_parts)]
