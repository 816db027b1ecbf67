"""The ingest's errors: each carries a short reason code that the audit log records."""

from __future__ import annotations


class IngestError(Exception):
    """Base class; `reason` is a stable machine-readable code."""

    reason = "error"

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        if reason:
            self.reason = reason


class FetchError(IngestError):
    """A page could not be fetched (HTTP error, timeout, too large, not HTML, robots...)."""

    reason = "fetch_failed"


class ExtractionError(IngestError):
    """A page was fetched but holds no article text we can use."""

    reason = "extraction_failed"


class StoreUnavailable(IngestError):
    """The vector store (embedded or server) cannot be reached or opened."""

    reason = "store_unavailable"
