"""The ingest worker: claims queued jobs from the records database and runs them.

`careerqa worker` runs one in its own process; `careerqa serve` runs one in a thread (the
embedded mode, `worker_in_process`). While a job runs, a heartbeat thread records its
progress every few seconds; a worker that dies stops beating and its job is resumed by
another worker (`core.jobs.recover_stale`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core import jobs
from core.settings import Settings
from ingest.embed import Embedder
from ingest.pipeline import Ingestor
from ingest.records import Chunk
from ingest.sources import parse_sources
from ingest.state import IngestState
from ingest.store import VectorStore

log = logging.getLogger("careerqa.worker")


class Worker:
    """Runs ingest jobs one at a time against one store and one loaded embedder."""

    def __init__(self, settings: Settings, embedder: Embedder, store: VectorStore,
                 state: IngestState, *, on_change: Callable[[], None] | None = None,
                 after_store: Callable[[list[Chunk]], None] | None = None,
                 poll_seconds: float = 1.0) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.state = state
        self.db = state.db
        self.on_change = on_change
        self.after_store = after_store
        self.poll_seconds = poll_seconds
        self.name = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        # A heartbeat well inside the stale limit, so a busy machine is not taken for dead.
        self.beat_seconds = max(0.2, min(5.0, settings.job_stale_seconds / 6))
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> jobs.Job | None:
        """Claim and run one job; the finished job, or None when the queue is empty."""
        jobs.recover_stale(self.db, self.settings.job_stale_seconds,
                           self.settings.job_max_attempts)
        job = jobs.claim(self.db, self.name)
        if job is None:
            return None
        log.info("job %d: running (attempt %d)", job.id, job.attempts)
        latest: dict[str, Any] = {}
        done = threading.Event()
        beater = threading.Thread(target=self._beat, args=(job.id, latest, done),
                                  name=f"job-{job.id}-heartbeat", daemon=True)
        beater.start()
        try:
            specs = parse_sources({"sources": job.request["sources"]}, base_dir=Path.cwd(),
                                  where=f"job {job.id}",
                                  default_max_depth=self.settings.crawl_max_depth,
                                  default_max_pages=self.settings.crawl_max_pages)
            ingestor = Ingestor(self.settings, self.embedder, self.store, self.state,
                                progress=False, on_progress=latest.update,
                                after_store=self.after_store)
            summary = ingestor.run(specs, prune=bool(job.request.get("prune")))
        except Exception as exc:  # recorded on the job: the API shows it, nothing is lost
            log.exception("job %d failed", job.id)
            self._finish(job, done, beater, error=f"{type(exc).__name__}: {exc}")
        else:
            self._finish(job, done, beater, summary=summary.as_dict())
            log.info("job %d: done, %d pages stored", job.id, summary.stored)
        return jobs.get(self.db, job.id)

    def _finish(self, job: jobs.Job, done: threading.Event, beater: threading.Thread,
                **outcome: Any) -> None:
        done.set()
        beater.join()
        # Before the job reads "done": in the embedded mode, done means answerable here.
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:  # the watcher retries at its next poll
                log.warning("refresh after job %d failed", job.id, exc_info=True)
        jobs.finish(self.db, job.id, self.name, **outcome)

    def _beat(self, job_id: int, latest: dict[str, Any], done: threading.Event) -> None:
        while not done.wait(self.beat_seconds):
            try:
                jobs.beat(self.db, job_id, self.name, dict(latest) or None)
            except Exception:  # a missed beat is retried; only a long silence matters
                log.warning("job %d: heartbeat failed", job_id, exc_info=True)

    def run_forever(self) -> None:
        """Until `stop()`: run jobs while there are any, then wait for a kick or a poll."""
        while not self._stop.is_set():
            try:
                ran = self.run_once()
            except Exception:  # the database went away: wait and try again
                log.exception("worker: cannot reach the job queue")
                ran = None
            if ran is None:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def kick(self) -> None:
        """A job was just queued: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="ingest-worker",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
