"""The request filters (host, URL prefix, heading text) as a test on one chunk."""

from __future__ import annotations

from urllib.parse import urlparse

from app.models import Filters
from ingest.records import Chunk

FilterFields = tuple[str, str, str]  # lower-cased host, URL, lower-cased heading path


def matches(chunk: Chunk, filters: Filters | None) -> bool:
    """Whether a chunk passes the request's filters (host, URL prefix, heading text)."""
    return filters is None or passes(filter_fields(chunk), filters)


def filter_fields(chunk: Chunk) -> FilterFields:
    host = (urlparse(chunk.url).hostname or "").lower()
    return host, chunk.url, " > ".join(chunk.heading_path).lower()


def passes(fields: FilterFields, filters: Filters) -> bool:
    host, url, headings = fields
    if filters.site:
        site = filters.site.lower().strip()
        if host != site and not host.endswith("." + site):
            return False
    if filters.url_prefix and not url.startswith(filters.url_prefix):
        return False
    return not filters.heading or filters.heading.lower() in headings


def has_filters(filters: Filters | None) -> bool:
    return filters is not None and any((filters.site, filters.url_prefix, filters.heading))
