"""The ingest job queue, in the records database.

`enqueue` adds a job (or joins the active one for the same request); `claim` hands one
queued job to one worker: PostgreSQL locks the candidate row with `FOR UPDATE SKIP
LOCKED` so that concurrent workers pick different rows, and on both databases the
conditional UPDATE (`status='queued'` still true) is what makes the claim exclusive. A
running job whose worker stops beating its heartbeat is queued again (resumed: ingest is
incremental, so a rerun redoes only what was not recorded) or, after
`max_attempts` runs, failed with the reason.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core.db import Database
from core.tables import JobRow

ACTIVE = ("queued", "running")


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Job:
    id: int
    status: str
    request: dict[str, Any]
    created_at: str
    started_at: str | None
    finished_at: str | None
    attempts: int
    worker: str | None
    progress: dict[str, Any] | None
    summary: dict[str, Any] | None
    error: str | None


def _job(row: JobRow) -> Job:
    return Job(row.id, row.status, json.loads(row.request), row.created_at, row.started_at,
               row.finished_at, row.attempts, row.worker,
               json.loads(row.progress) if row.progress else None,
               json.loads(row.summary) if row.summary else None, row.error)


def request_key(request: dict[str, Any]) -> str:
    """Equal requests (the same sources, the same prune flag) have equal keys."""
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def enqueue(db: Database, request: dict[str, Any]) -> tuple[Job, bool]:
    """Queue `request`; returns the job and whether it is new.

    An identical request while one is queued or running joins that job, on every
    replica: the partial unique index on the key admits one active job per key.
    """
    key = request_key(request)
    for _ in range(3):  # the active job may finish between the insert and the lookup
        try:
            with db.session() as s:
                row = JobRow(key=key, status="queued", request=json.dumps(request),
                             created_at=_now_iso())
                s.add(row)
                s.flush()
                return _job(row), True
        except IntegrityError:
            with db.session() as s:
                row = s.scalar(select(JobRow).where(JobRow.key == key,
                                                    JobRow.status.in_(ACTIVE)))
                if row is not None:
                    return _job(row), False
    raise RuntimeError("could not queue the ingest job")


def get(db: Database, job_id: int) -> Job | None:
    with db.session() as s:
        row = s.get(JobRow, job_id)
        return _job(row) if row else None


def active_count(db: Database) -> int:
    """Jobs queued or running (shown by /readyz: a first-start ingest is one)."""
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(JobRow)
                            .where(JobRow.status.in_(ACTIVE))) or 0)


def recover_stale(db: Database, stale_after: float, max_attempts: int) -> int:
    """Queue again (or fail) running jobs whose worker has been silent for `stale_after` s."""
    cutoff = time.time() - stale_after
    silent = (JobRow.status == "running", JobRow.heartbeat < cutoff)
    with db.session() as s:
        requeued = s.execute(update(JobRow).where(*silent, JobRow.attempts < max_attempts)
                             .values(status="queued", worker=None)).rowcount
        s.execute(update(JobRow).where(*silent, JobRow.attempts >= max_attempts).values(
            status="failed", finished_at=_now_iso(),
            error=f"its worker stopped answering {max_attempts} times"))
    return int(requeued or 0)


def claim(db: Database, worker: str) -> Job | None:
    """The oldest queued job, now running under `worker`; None when there is none."""
    with db.session() as s:
        candidate = s.scalar(select(JobRow.id).where(JobRow.status == "queued")
                             .order_by(JobRow.id).limit(1).with_for_update(skip_locked=True))
        if candidate is None:
            return None
        claimed = s.execute(
            update(JobRow).where(JobRow.id == candidate, JobRow.status == "queued").values(
                status="running", worker=worker, heartbeat=time.time(),
                started_at=_now_iso(), attempts=JobRow.attempts + 1)).rowcount
        if claimed != 1:
            return None
        row = s.get(JobRow, candidate, populate_existing=True)
        return _job(row)


def beat(db: Database, job_id: int, worker: str, progress: dict[str, Any] | None) -> bool:
    """Heartbeat plus progress; False when the job is no longer this worker's."""
    values: dict[str, Any] = {"heartbeat": time.time()}
    if progress is not None:
        values["progress"] = json.dumps(progress)
    with db.session() as s:
        return s.execute(update(JobRow).where(JobRow.id == job_id, JobRow.worker == worker,
                                              JobRow.status == "running")
                         .values(**values)).rowcount == 1


def finish(db: Database, job_id: int, worker: str, *, summary: dict[str, Any] | None = None,
           error: str | None = None) -> None:
    """Mark the job done (with its summary) or failed (with the error)."""
    with db.session() as s:
        s.execute(update(JobRow).where(JobRow.id == job_id, JobRow.worker == worker).values(
            status="failed" if error else "done", finished_at=_now_iso(),
            summary=json.dumps(summary) if summary is not None else None,
            progress=json.dumps(summary) if summary is not None else None, error=error))
