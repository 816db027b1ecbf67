"""Ingest jobs as the HTTP routes see them: queue one, look one up."""

from __future__ import annotations

from typing import Any

from core import jobs
from core.db import Database
from ingest.worker import Worker


class IngestQueue:
    """The job queue in the records database, plus this process's worker (if it runs one),
    which is woken at once for a job queued here instead of at its next poll."""

    def __init__(self, db: Database, worker: Worker | None = None) -> None:
        self.db = db
        self.worker = worker

    def enqueue(self, request: dict[str, Any]) -> tuple[jobs.Job, bool]:
        """The job for `request` and whether it is new (False: an identical one was active)."""
        job, created = jobs.enqueue(self.db, request)
        if self.worker is not None:
            self.worker.kick()
        return job, created

    def get(self, job_id: int) -> jobs.Job | None:
        return jobs.get(self.db, job_id)
