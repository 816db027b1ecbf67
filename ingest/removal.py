"""Removing a page: its chunks and state go, and a recorded copy of it takes its place.

A page whose text equals a stored page's is recorded as its duplicate and kept out of
the index. When the stored page is removed, the copy (the smallest URL, as at ingest)
is re-indexed at once from the removed page's own chunks and vectors: same text, so
nothing is fetched or embedded, and the copy does not wait for the next ingest.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ingest.records import chunk_id
from ingest.state import IngestState, now_iso
from ingest.store import VectorStore


@dataclass(frozen=True)
class Removal:
    url: str
    chunks_removed: int
    promoted: str | None  # the copy now indexed in its place


def remove_page(url: str, store: VectorStore, state: IngestState) -> Removal:
    """Delete `url` from the store and the state; promote its first recorded duplicate."""
    copies = state.duplicates_of(url)
    promoted = None
    if copies:
        heir, *others = copies
        chunks, vectors = store.document(url)
        moved = [dataclasses.replace(c, id=chunk_id(heir.url, c.doc_hash, c.position),
                                     url=heir.url, title=heir.title or c.title)
                 for c in chunks]
        state.begin_write(heir.url, heir.doc_hash or "")
        store.replace_document(heir.url, moved, vectors)
        state.finish_write(heir.url, moved, status="stored", duplicate_of=None,
                           chunk_count=len(moved), fetched_at=heir.fetched_at or now_iso())
        state.log(None, heir.url, "stored", f"{len(moved)} chunks, in place of removed {url}")
        for other in others:
            state.upsert(other.url, duplicate_of=heir.url)
        promoted = heir.url
    removed = store.delete_document(url)
    state.delete(url)
    state.log(None, url, "deleted", f"{removed} chunks removed")
    state.bump_generation()
    return Removal(url, removed, promoted)
