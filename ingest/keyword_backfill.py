"""Index a store's chunks in the database keyword index: for stores ingested before it
existed, or a keyword index that was lost. Run again, it changes nothing.

Ingest keeps the index current by itself (`IngestState.finish_write`); this reads the
vector store once, page by page, and makes every page's indexed chunks the stored ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from core import keywords
from ingest.records import Chunk
from ingest.state import IngestState
from ingest.store import VectorStore


@dataclass(frozen=True)
class Backfill:
    pages_indexed: int  # written or rewritten now
    pages_current: int  # already indexed with the stored chunks
    pages_dropped: int  # indexed, but no longer in the store
    chunks: int  # chunks in the store

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def backfill(store: VectorStore, state: IngestState) -> Backfill:
    """Make the keyword index hold exactly the store's chunks; bump the generation if it
    changed, so running replicas pick the new index figures up."""
    by_url: dict[str, list[Chunk]] = {}
    for chunk in store.all_chunks():
        by_url.setdefault(chunk.url, []).append(chunk)
    with state.db.reader() as connection:
        indexed = keywords.indexed_urls(connection)
    written = current = dropped = 0
    for url in sorted(by_url):
        chunks = sorted(by_url[url], key=lambda c: c.position)
        if state.index_keywords(url, chunks):
            written += 1
        else:
            current += 1
    for url in sorted(set(indexed) - set(by_url)):
        state.unindex_keywords(url)
        dropped += 1
    if written or dropped:
        state.bump_generation()
    return Backfill(written, current, dropped, sum(len(c) for c in by_url.values()))
