"""The embeddable widget script and the demo page that shows it on a sample host page."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

router = APIRouter(tags=["widget"])
STATIC = Path(__file__).resolve().parent.parent / "static"


@lru_cache(maxsize=4)
def _asset(name: str, mtime: float) -> tuple[bytes, str]:
    """File bytes and a strong ETag; keyed by mtime so edits show without a restart."""
    body = (STATIC / name).read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def load_asset(name: str) -> tuple[bytes, str]:
    return _asset(name, (STATIC / name).stat().st_mtime)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110's weak comparison: a list of tags, `W/` ignored (proxies that compress
    the script weaken its tag), or `*`."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags


@router.get("/widget.js", summary="The chat widget script (embed with one <script> tag)",
            response_class=Response)
async def widget_js(request: Request) -> Response:
    body, etag = load_asset("widget.js")
    # Versioned URLs (?v=<etag>) never change, so they may be cached for a year;
    # the bare URL is revalidated with the ETag.
    cache = ("public, max-age=31536000, immutable" if request.query_params.get("v")
             else "public, max-age=300, must-revalidate")
    headers = {"ETag": etag, "Cache-Control": cache, "Access-Control-Allow-Origin": "*"}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/javascript; charset=utf-8", headers=headers)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def demo() -> HTMLResponse:
    body, _ = load_asset("demo.html")
    return HTMLResponse(body)
