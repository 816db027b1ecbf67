"""The ingest pipeline: discover -> fetch -> extract -> chunk -> embed -> store, incrementally.

Fetching, extraction and chunking run on the event loop while embedding runs in a
worker thread (torch releases the GIL), so on a CPU machine everything else hides
behind the model. Each page is written to the store and then to the state record,
page by page: an interrupted run loses nothing already stored and the next run
finishes the job.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from app.settings import Settings
from ingest import dedupe
from ingest.chunk import chunk_document
from ingest.embed import Embedder
from ingest.errors import ExtractionError
from ingest.extract import extract
from ingest.fetch import Fetcher, FetchOutcome
from ingest.records import Chunk, Document, Page
from ingest.sources import Discovered, SourceSpec, discover
from ingest.state import IngestState, now_iso
from ingest.store import VectorStore

log = logging.getLogger("careerqa.ingest")

# Statuses under which a 404/410 means the page is gone for good (pruned with --prune).
_GONE = {"http_404", "http_410"}


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
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.state = state
        self._progress = sys.stderr.isatty() if progress is None else progress

    def run(self, specs: list[SourceSpec], *, prune: bool = False) -> IngestSummary:
        return asyncio.run(self.arun(specs, prune=prune))

    async def arun(self, specs: list[SourceSpec], *, prune: bool = False) -> IngestSummary:
        summary = IngestSummary()
        run_id = self.state.start_run()
        started = time.perf_counter()
        seen: set[str] = set()
        bar = _progress_bar(self._progress)
        queue: asyncio.Queue[_Pending | None] = asyncio.Queue(maxsize=64)
        embedder_task = asyncio.create_task(self._embed_and_store(queue, summary, run_id, bar))
        sources = {_source_label(s) for s in specs}

        def decide(url: str, decision: str, detail: str = "") -> None:
            self.state.log(run_id, url, decision, detail)
            if decision not in {"fetched", "stored"}:
                summary.skipped[decision] += 1

        def validators(url: str) -> tuple[str | None, str | None] | None:
            st = self.state.get(url)
            if st and st.status == "stored":
                return st.etag, st.last_modified
            return None

        try:
            async with Fetcher.from_settings(self.settings) as fetcher:
                sem = asyncio.Semaphore(self.settings.crawl_concurrency * 2)
                tasks: set[asyncio.Task] = set()
                async for item in discover(specs, fetcher, decide, validators=validators):
                    if item.url in seen:
                        continue
                    seen.add(item.url)
                    summary.pages_seen += 1
                    await sem.acquire()
                    task = asyncio.create_task(
                        self._process(item, fetcher, validators, decide, queue, summary, run_id)
                    )
                    task.add_done_callback(lambda _t: sem.release())
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                if tasks:
                    await asyncio.gather(*tasks)
        finally:
            await queue.put(None)
            await embedder_task
            if bar is not None:
                bar.close()

        if prune:
            self._prune(sources, seen, summary, run_id)
        summary.wall_seconds = time.perf_counter() - started
        self.state.finish_run(run_id, summary.as_dict())
        return summary

    async def _process(
        self,
        item: Discovered,
        fetcher: Fetcher,
        validators: Callable[[str], tuple[str | None, str | None] | None],
        decide: Callable[..., None],
        queue: asyncio.Queue[_Pending | None],
        summary: IngestSummary,
        run_id: int,
    ) -> None:
        url = item.url
        page: Page | None = item.local_page
        if page is None:
            outcome = item.outcome
            if outcome is None:
                etag, modified = validators(url) or (None, None)
                t0 = time.perf_counter()
                outcome = await fetcher.fetch(url, etag=etag, last_modified=modified)
                summary.stage_seconds["fetch"] += time.perf_counter() - t0
            page = self._page_from_outcome(outcome, item.source, decide, summary)
            if page is None:
                return
        t0 = time.perf_counter()
        try:
            doc = extract(page)
        except ExtractionError as exc:
            self._record_failure(url, item.source, exc.reason, str(exc), decide, summary)
            return
        finally:
            summary.stage_seconds["extract"] += time.perf_counter() - t0

        previous = self.state.get(url)
        if previous and previous.status == "stored" and previous.doc_hash == doc.hash:
            # Same text as stored: nothing to embed, just remember the new validators.
            self.state.upsert(
                url, etag=doc.etag, last_modified=doc.last_modified, fetched_at=doc.fetched_at,
                error=None, reason=None, source=item.source,
            )
            summary.unchanged += 1
            decide(url, "unchanged", "content hash matches the stored version")
            return

        if self._is_exact_duplicate(doc, item.source, decide, summary, run_id):
            return

        t0 = time.perf_counter()
        sig = dedupe.signature(doc.text)
        near = dedupe.nearest(sig, self.state.signatures(exclude_url=url))
        chunks = chunk_document(doc, self.settings.chunk_size, self.settings.chunk_overlap)
        summary.stage_seconds["chunk"] += time.perf_counter() - t0
        if near:
            summary.near_duplicates.append((url, near[0], near[1]))
            decide(url, "near_duplicate", f"{near[1]:.2f} similar to {near[0]}")
        await queue.put(_Pending(doc, chunks, item.source, sig, near[0] if near else None))

    def _page_from_outcome(
        self,
        outcome: FetchOutcome,
        source: str,
        decide: Callable[..., None],
        summary: IngestSummary,
    ) -> Page | None:
        url = outcome.page.url if outcome.page else outcome.final_url or ""
        if outcome.status == "fetched" and outcome.page is not None:
            summary.fetched += 1
            decide(outcome.page.url, "fetched", f"HTTP {outcome.http_status}")
            return outcome.page
        if outcome.status == "not_modified":
            summary.unchanged += 1
            decide(url, "not_modified", "304 on conditional GET")
            self.state.upsert(url, error=None, reason=None, source=source)
            return None
        if outcome.status == "disallowed":
            decide(url, "disallowed", outcome.detail or "robots.txt")
            self.state.upsert(
                url, status="disallowed", reason="robots_disallowed", error=outcome.detail,
                source=source, chunk_count=0,
            )
            self.store.delete_document(url)
            return None
        self._record_failure(
            url, source, outcome.reason or "fetch_failed", outcome.detail, decide, summary
        )
        return None

    def _record_failure(
        self,
        url: str,
        source: str,
        reason: str,
        detail: str,
        decide: Callable[..., None],
        summary: IngestSummary,
    ) -> None:
        summary.failed[url] = f"{reason}: {detail}"
        decide(url, "failed", f"{reason}: {detail}")
        previous = self.state.get(url)
        if previous and previous.status == "stored":
            # Keep what we have: a failed refresh must not delete a good page.
            self.state.upsert(url, reason=reason, error=detail, source=source)
        else:
            self.state.upsert(
                url, status="failed", reason=reason, error=detail, source=source, chunk_count=0
            )

    def _is_exact_duplicate(
        self,
        doc: Document,
        source: str,
        decide: Callable[..., None],
        summary: IngestSummary,
        run_id: int,
    ) -> bool:
        other = self.state.find_by_hash(doc.hash, exclude_url=doc.url)
        if other is None:
            return False
        # The smaller URL keeps the copy, so the outcome does not depend on fetch order.
        if doc.url < other:
            removed = self.store.delete_document(other)
            summary.chunks_removed += removed
            self.state.upsert(other, status="duplicate", duplicate_of=doc.url, chunk_count=0)
            self.state.log(run_id, other, "duplicate", f"same text as {doc.url}")
            return False
        removed = self.store.delete_document(doc.url)
        summary.chunks_removed += removed
        summary.duplicates += 1
        self.state.upsert(
            doc.url, status="duplicate", duplicate_of=other, doc_hash=doc.hash, title=doc.title,
            chunk_count=0, source=source, fetched_at=doc.fetched_at, error=None, reason=None,
        )
        decide(doc.url, "duplicate", f"same text as {other}")
        return True

    async def _embed_and_store(
        self,
        queue: asyncio.Queue[_Pending | None],
        summary: IngestSummary,
        run_id: int,
        bar,
    ) -> None:
        """Embed pages in batches of about `embedding_batch_size * 4` chunks, then store them."""
        target = self.settings.embedding_batch_size * 4
        batch: list[_Pending] = []
        size = 0
        done = False
        while not done:
            item = await queue.get()
            if item is None:
                done = True
            else:
                batch.append(item)
                size += len(item.chunks)
            # Flush when the batch is full, at the end, or when nothing else is waiting
            # (so a slow crawl still makes steady progress).
            if batch and (done or size >= target or queue.empty()):
                await self._flush(batch, summary, run_id, bar)
                batch, size = [], 0

    async def _flush(self, batch: list[_Pending], summary: IngestSummary, run_id: int, bar) -> None:
        texts = [c.text for p in batch for c in p.chunks]
        t0 = time.perf_counter()
        vectors = await asyncio.to_thread(self.embedder.embed, texts)
        summary.stage_seconds["embed"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        offset = 0
        for pending in batch:
            n = len(pending.chunks)
            page_vectors = vectors[offset : offset + n]
            offset += n
            removed = await asyncio.to_thread(
                self.store.replace_document, pending.doc.url, pending.chunks, page_vectors
            )
            doc = pending.doc
            self.state.upsert(
                doc.url, status="stored", source=pending.source, title=doc.title,
                doc_hash=doc.hash, etag=doc.etag, last_modified=doc.last_modified,
                fetched_at=doc.fetched_at or now_iso(), chunk_count=n, error=None, reason=None,
                duplicate_of=None, near_duplicate_of=pending.near_duplicate_of,
                signature=pending.signature,
            )
            self.state.log(run_id, doc.url, "stored", f"{n} chunks, {removed} replaced")
            summary.stored += 1
            summary.chunks_added += n
            summary.chunks_removed += removed
            if bar is not None:
                bar.update(1)
            else:
                log.info("stored url=%s chunks=%d replaced=%d", doc.url, n, removed)
        summary.stage_seconds["store"] += time.perf_counter() - t0

    def _prune(
        self, sources: set[str], seen: set[str], summary: IngestSummary, run_id: int
    ) -> None:
        for page in self.state.pages():
            vanished = page.source in sources and page.url not in seen
            gone = page.url in summary.failed and (page.reason or "") in _GONE
            if vanished or gone:
                summary.chunks_removed += self.store.delete_document(page.url)
                self.state.delete(page.url)
                self.state.log(run_id, page.url, "pruned", "no longer in its source")
                summary.pruned.append(page.url)


def _source_label(spec: SourceSpec) -> str:
    return spec.label


def _progress_bar(enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc="pages stored", unit="page")
