"""The ingest pipeline: discover -> fetch -> extract -> chunk -> embed -> store, incrementally.

Fetching runs on the event loop, embedding in a worker thread (the model releases the
GIL), and extraction, chunking and store writes on one thread of lower priority than the
model's, so on a CPU machine they fill the time the model leaves idle instead of slowing
it (the model's own pool keeps ~70% of the second core busy). Each page is written to
the store and then to the state record, page by page: an interrupted run loses nothing
already stored and the next run finishes the job. A pending-write record opened before
each store write and closed with its state write names any page a killed run left
half-written; every run starts by reconciling those (`_Run.reconcile`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from core.settings import Settings
from ingest import dedupe
from ingest.chunk import chunk_document
from ingest.embed import Embedder
from ingest.errors import ExtractionError
from ingest.extract import extract
from ingest.fetch import Fetcher, FetchOutcome
from ingest.records import Chunk, Document, Page
from ingest.sources import Discovered, SourceSpec, discover
from ingest.state import IngestState, PageState, now_iso
from ingest.store import VectorStore

log = logging.getLogger("careerqa.ingest")

# Statuses under which a 404/410 means the page is gone for good (pruned with --prune).
_GONE = {"http_404", "http_410"}
_T = TypeVar("_T")
_SIDE_NICE = 10  # nice 10 and 19 measured alike (docs/performance.md)


@dataclass
class IngestSummary:
    """What one run did; printed at the end and kept in the state record."""

    pages_seen: int = 0
    fetched: int = 0
    stored: int = 0
    unchanged: int = 0
    duplicates: int = 0
    near_duplicates: list[tuple[str, str, float]] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)
    chunks_added: int = 0
    chunks_removed: int = 0
    pruned: list[str] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    wall_seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "pages_seen": self.pages_seen,
            "fetched": self.fetched,
            "stored": self.stored,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "near_duplicates": [
                {"url": u, "of": o, "similarity": round(s, 3)} for u, o, s in self.near_duplicates
            ],
            "failed": self.failed,
            "skipped": dict(self.skipped),
            "chunks_added": self.chunks_added,
            "chunks_removed": self.chunks_removed,
            "pruned": self.pruned,
            "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
            "wall_seconds": round(self.wall_seconds, 3),
        }


@dataclass
class _Pending:
    """A page whose chunks wait for their vectors."""

    doc: Document
    chunks: list[Chunk]
    source: str
    signature: str
    near_duplicate_of: str | None


class Ingestor:
    """Runs ingests against one store and state record with one loaded embedder."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        store: VectorStore,
        state: IngestState,
        *,
        progress: bool | None = None,
        on_progress: Callable[[dict], None] | None = None,
        after_store: Callable[[list[Chunk]], None] | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.state = state
        self.progress = sys.stderr.isatty() if progress is None else progress
        # Called with the summary so far after every stored batch (a job's progress).
        self.on_progress = on_progress
        # A last stage run on each stored batch's chunks (the worker's sentence vectors).
        self.after_store = after_store

    def run(self, specs: list[SourceSpec], *, prune: bool = False) -> IngestSummary:
        return asyncio.run(self.arun(specs, prune=prune))

    async def arun(self, specs: list[SourceSpec], *, prune: bool = False) -> IngestSummary:
        return await _Run(self, specs).execute(prune)


class _Run:
    """One ingest run: its summary, audit-log id and in-flight bookkeeping."""

    def __init__(self, ingestor: Ingestor, specs: list[SourceSpec]) -> None:
        self.settings = ingestor.settings
        self.embedder = ingestor.embedder
        self.store = ingestor.store
        self.state = ingestor.state
        self.on_progress = ingestor.on_progress
        self.after_store = ingestor.after_store
        self.specs = specs
        self.summary = IngestSummary()
        self.id = self.state.start_run()
        self.seen: set[str] = set()
        # Each URL's record as this run first read it: read once for the conditional GET
        # and again after extraction, each read a unit of work on the model's cores.
        self.before: dict[str, PageState | None] = {}
        # Audit-log lines, written with each stored batch and at the end (one commit for
        # many, where one a decision took as much CPU as extracting a small page).
        self.log_lines: list[tuple[str, str, str]] = []
        self.log_lock = threading.Lock()
        # content hash -> URL that keeps that text; the smallest URL wins, so the outcome
        # does not depend on the order in which concurrent fetches finish.
        self.owners: dict[str, str] = {}
        self.signatures = dedupe.SignatureIndex(self.state.signatures())
        self.queue: asyncio.Queue[_Pending | None] = asyncio.Queue(maxsize=64)
        self.bar = _progress_bar(ingestor.progress)
        self.side = ThreadPoolExecutor(1, thread_name_prefix="ingest-side",
                                       initializer=_yield_to_the_model)

    def decide(self, url: str, decision: str, detail: str = "") -> None:
        """Record one fetch decision in the audit log (and count the skips)."""
        with self.log_lock:
            self.log_lines.append((url, decision, detail))
        if decision not in {"fetched", "stored", "near_duplicate"}:
            self.summary.skipped[decision] += 1

    def flush_log(self) -> None:
        with self.log_lock:
            lines, self.log_lines = self.log_lines, []
        if lines:
            self.state.log_many(self.id, lines)

    def recorded(self, url: str) -> PageState | None:
        """`url`'s record as it stood when this run first looked (a URL is processed once a
        run, so the record can only have changed under another process meanwhile)."""
        if url not in self.before:
            self.before[url] = self.state.get(url)
        return self.before[url]

    def validators(self, url: str) -> tuple[str | None, str | None] | None:
        st = self.recorded(url)
        if st and st.status == "stored":
            return st.etag, st.last_modified
        return None

    def reconcile(self) -> None:
        """Tidy the pages a killed run wrote to the store but never recorded.

        Only chunks of the recorded version survive: a new page loses all of its chunks,
        a changed page keeps its old ones (its new ones come back when it is fetched).
        """
        changed = False
        for url, _pending_hash in self.state.pending_writes():
            page = self.state.get(url)
            keep = page.doc_hash if page and page.status == "stored" else None
            removed = self.store.delete_document(url, keep_hash=keep)
            self.state.drop_pending(url)
            self.summary.chunks_removed += removed
            changed = changed or removed > 0
            self.decide(url, "reconciled", f"{removed} unrecorded chunks removed")
        if changed:
            self.state.bump_generation()

    async def execute(self, prune: bool) -> IngestSummary:
        started = time.perf_counter()
        self.reconcile()
        consumer = asyncio.create_task(self._embed_and_store())
        try:
            async with Fetcher.from_settings(self.settings) as fetcher:
                slots = asyncio.Semaphore(self.settings.crawl_concurrency * 2)
                tasks: set[asyncio.Task] = set()
                items = discover(self.specs, fetcher, self.decide, validators=self.validators,
                                 links=self.state)
                async for item in items:
                    if item.url in self.seen:
                        continue
                    self.seen.add(item.url)
                    self.summary.pages_seen += 1
                    await slots.acquire()
                    task = asyncio.create_task(self._process(item, fetcher))
                    task.add_done_callback(lambda _t: slots.release())
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                if tasks:
                    await asyncio.gather(*tasks)
        finally:
            await self.queue.put(None)
            await consumer
            if self.bar is not None:
                self.bar.close()
            self.side.shutdown()
            self.flush_log()
        if prune and self._prune():
            self.state.bump_generation()
        self.summary.wall_seconds = time.perf_counter() - started
        self.state.finish_run(self.id, self.summary.as_dict())
        return self.summary

    def _timed(self, stage: str, started: float) -> None:
        self.summary.stage_seconds[stage] += time.perf_counter() - started

    async def _on_side(self, stage: str, work: Callable[..., _T], *args: Any) -> _T:
        """`work(*args)` on the side thread, timed there: a stage's seconds are its work,
        not the time it waited behind other pages' work in the side thread's queue."""
        def timed() -> _T:
            started = time.perf_counter()
            try:
                return work(*args)
            finally:
                self._timed(stage, started)

        return await asyncio.get_running_loop().run_in_executor(self.side, timed)

    async def _process(self, item: Discovered, fetcher: Fetcher) -> None:
        url = item.url
        page: Page | None = item.local_page
        if page is None:
            outcome = item.outcome
            if outcome is None:
                etag, modified = self.validators(url) or (None, None)
                t0 = time.perf_counter()
                outcome = await fetcher.fetch(url, etag=etag, last_modified=modified)
                self._timed("fetch", t0)
            page = self._page_from_outcome(outcome, item.source)
            if page is None:
                return
        try:
            doc = await self._on_side("extract", extract, page)
        except ExtractionError as exc:
            self._record_failure(page.url, item.source, exc.reason, str(exc))
            return

        previous = self.recorded(doc.url)
        if previous and previous.status == "stored" and previous.doc_hash == doc.hash:
            # Same text as stored: nothing to embed, just remember the new validators.
            self.state.upsert(
                doc.url, etag=doc.etag, last_modified=doc.last_modified,
                fetched_at=doc.fetched_at, error=None, reason=None, source=item.source,
            )
            self.summary.unchanged += 1
            self.decide(doc.url, "unchanged", "content hash matches the stored version")
            return
        if self._claim_text(doc, item.source):
            return

        sig, near, chunks = await self._on_side("chunk", self._chunk, doc)
        if near:
            self.summary.near_duplicates.append((doc.url, near[0], near[1]))
            self.decide(doc.url, "near_duplicate", f"{near[1]:.2f} similar to {near[0]}")
        await self.queue.put(_Pending(doc, chunks, item.source, sig, near[0] if near else None))

    def _chunk(self, doc: Document) -> tuple[str, tuple[str, float] | None, list[Chunk]]:
        sig = dedupe.signature(doc.text)
        near = self.signatures.nearest(sig, exclude=doc.url)
        self.signatures.add(doc.url, sig)
        return sig, near, chunk_document(doc, self.settings.chunk_size, self.settings.chunk_overlap)

    def _page_from_outcome(self, outcome: FetchOutcome, source: str) -> Page | None:
        url = outcome.page.url if outcome.page else outcome.final_url or outcome.url
        if outcome.status == "fetched" and outcome.page is not None:
            self.summary.fetched += 1
            self.decide(outcome.page.url, "fetched", f"HTTP {outcome.http_status}")
            return outcome.page
        if outcome.status == "not_modified":
            self.summary.unchanged += 1
            self.decide(url, "not_modified", "304 on conditional GET")
            self.state.upsert(url, error=None, reason=None, source=source)
            return None
        if outcome.status == "disallowed":
            self.decide(url, "disallowed", outcome.detail or "robots.txt")
            self.store.delete_document(url)
            self.state.upsert(
                url, status="disallowed", reason="robots_disallowed", error=outcome.detail,
                source=source, chunk_count=0,
            )
            return None
        self._record_failure(url, source, outcome.reason or "fetch_failed", outcome.detail)
        return None

    def _record_failure(self, url: str, source: str, reason: str, detail: str) -> None:
        self.summary.failed[url] = f"{reason}: {detail}"
        self.decide(url, "failed", f"{reason}: {detail}")
        previous = self.state.get(url)
        if previous and previous.status == "stored":
            # Keep what we have: a failed refresh must not delete a good page.
            self.state.upsert(url, reason=reason, error=detail, source=source)
        else:
            self.state.upsert(
                url, status="failed", reason=reason, error=detail, source=source, chunk_count=0
            )

    def _claim_text(self, doc: Document, source: str) -> bool:
        """Claim the document's text for its URL; True when another URL keeps it instead."""
        candidates = [doc.url, self.owners.get(doc.hash),
                      self.state.find_by_hash(doc.hash, exclude_url=doc.url)]
        owner = min(u for u in candidates if u)
        self.owners[doc.hash] = owner
        if owner == doc.url:
            return False
        self._mark_duplicate(doc.url, owner, doc, source)
        return True

    def _mark_duplicate(self, url: str, owner: str, doc: Document, source: str) -> None:
        self.summary.chunks_removed += self.store.delete_document(url)
        self.summary.duplicates += 1
        self.state.upsert(
            url, status="duplicate", duplicate_of=owner, doc_hash=doc.hash, title=doc.title,
            chunk_count=0, source=source, fetched_at=doc.fetched_at, error=None, reason=None,
        )
        self.decide(url, "duplicate", f"same text as {owner}")

    async def _embed_and_store(self) -> None:
        """Embed pages in batches of about `embedding_batch_size * 4` chunks.

        Writing a batch to the store runs in its own task, so the model is already
        embedding the next batch while the previous one is written.
        """
        target = self.settings.embedding_batch_size * 4
        writes: asyncio.Queue[tuple[list[_Pending], np.ndarray] | None] = asyncio.Queue(2)
        writer = asyncio.create_task(self._write_batches(writes))
        batch: list[_Pending] = []
        size = 0
        done = False
        try:
            while not done:
                item = await self.queue.get()
                if item is None:
                    done = True
                else:
                    batch.append(item)
                    size += len(item.chunks)
                # Flush when the batch is full, at the end, or when nothing else is waiting
                # (so a slow crawl still makes steady progress).
                if batch and (done or size >= target or self.queue.empty()):
                    keep = [p for p in batch if not self._lost_claim(p)]
                    t0 = time.perf_counter()
                    texts = [c.embedding_text() for p in keep for c in p.chunks]
                    vectors = await asyncio.to_thread(self.embedder.embed, texts)
                    self._timed("embed", t0)
                    await writes.put((keep, vectors))
                    batch, size = [], 0
        finally:
            await writes.put(None)
            await writer

    def _lost_claim(self, pending: _Pending) -> bool:
        """A smaller URL with the same text may have been claimed after this page queued."""
        owner = self.owners.get(pending.doc.hash, pending.doc.url)
        if owner == pending.doc.url:
            return False
        self._mark_duplicate(pending.doc.url, owner, pending.doc, pending.source)
        return True

    async def _write_batches(
        self, writes: asyncio.Queue[tuple[list[_Pending], np.ndarray] | None]
    ) -> None:
        while (item := await writes.get()) is not None:
            stored = await self._on_side("store", self._write, *item)
            # Every replica refreshes what it caches when the generation moves: the batch
            # is answerable before its sentence vectors exist (answers embed on demand).
            await asyncio.to_thread(self.state.bump_generation)
            if self.after_store is not None:
                t0 = time.perf_counter()
                await asyncio.to_thread(self.after_store, [c for p in item[0] for c in p.chunks])
                self._timed("after_store", t0)
            if self.on_progress is not None:
                self.on_progress(self.summary.as_dict())
            if self.bar is not None:
                self.bar.update(stored)

    def _write(self, batch: list[_Pending], vectors: np.ndarray) -> int:
        """Store a batch's pages, then record them: a page is in the state only once it is
        whole. One store write and one state transaction per batch, not per page (see
        `ChromaStore.replace_documents`); a crash in between leaves the batch's pending
        writes open, and the next run tidies those pages up."""
        if not batch:
            return 0
        self.state.begin_writes([(p.doc.url, p.doc.hash) for p in batch])
        removed = self.store.replace_documents([(p.doc.url, p.chunks) for p in batch], vectors)
        records = []
        copies = self.state.stored_by_hash([p.doc.hash for p in batch])
        for pending in batch:
            doc = pending.doc
            # An older copy of the same text under a larger URL gives way to this one.
            for other in [u for u in copies.get(doc.hash, []) if u != doc.url][:1]:
                self._mark_duplicate(other, doc.url, doc, self.state.get(other).source)
            records.append((doc.url, pending.chunks, dict(
                status="stored", source=pending.source, title=doc.title,
                doc_hash=doc.hash, etag=doc.etag, last_modified=doc.last_modified,
                fetched_at=doc.fetched_at or now_iso(), chunk_count=len(pending.chunks),
                error=None, reason=None, duplicate_of=None,
                near_duplicate_of=pending.near_duplicate_of, signature=pending.signature,
            )))
        self.state.finish_writes(records)
        for p, gone in zip(batch, removed, strict=True):
            self.decide(p.doc.url, "stored", f"{len(p.chunks)} chunks, {gone} replaced")
        self.flush_log()
        for pending, gone in zip(batch, removed, strict=True):
            url, n = pending.doc.url, len(pending.chunks)
            self.summary.stored += 1
            self.summary.chunks_added += n
            self.summary.chunks_removed += gone
            if self.bar is None:
                log.info("stored url=%s chunks=%d replaced=%d", url, n, gone)
        return len(batch)

    def _prune(self) -> bool:
        sources = {spec.label for spec in self.specs}
        for page in self.state.pages():
            vanished = page.source in sources and page.url not in self.seen
            gone = page.url in self.summary.failed and (page.reason or "") in _GONE
            if vanished or gone:
                self.summary.chunks_removed += self.store.delete_document(page.url)
                self.state.delete(page.url)
                self.state.log(self.id, page.url, "pruned", "no longer in its source")
                self.summary.pruned.append(page.url)
        return bool(self.summary.pruned)


def _yield_to_the_model() -> None:
    """Lower this thread's priority (Linux: per thread), so that extraction, chunking and
    store writes run in the time the model leaves idle rather than in the model's."""
    # Without per-thread priorities (not Linux) the same work runs unniced.
    with contextlib.suppress(AttributeError, OSError):
        thread = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, current + _SIDE_NICE))


def _progress_bar(enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc="pages stored", unit="page")
