"""The ingest's memory: per-URL state and an audit log of every fetch decision, in SQLite."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    reason TEXT,
    error TEXT,
    title TEXT,
    doc_hash TEXT,
    etag TEXT,
    last_modified TEXT,
    fetched_at TEXT,
    chunk_count INTEGER NOT NULL DEFAULT 0,
    duplicate_of TEXT,
    near_duplicate_of TEXT,
    signature TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER,
    at TEXT NOT NULL,
    url TEXT NOT NULL,
    decision TEXT NOT NULL,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS links (
    url TEXT PRIMARY KEY,
    targets TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_url ON log(url);
"""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class PageState:
    url: str
    source: str
    status: str  # stored | duplicate | failed | disallowed | excluded
    reason: str | None
    error: str | None
    title: str | None
    doc_hash: str | None
    etag: str | None
    last_modified: str | None
    fetched_at: str | None
    chunk_count: int
    duplicate_of: str | None
    near_duplicate_of: str | None
    signature: str | None
    updated_at: str


class IngestState:
    """SQLite-backed record of what is stored and why; every write is its own transaction.

    One connection is shared by the event loop and the store-writer thread, so every
    statement and transaction holds a lock.
    """

    def __init__(self, path: Path) -> None:
        self._lock = threading.RLock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # --- runs and audit log
    def start_run(self) -> int:
        with self._tx() as db:
            cur = db.execute("INSERT INTO runs(started_at) VALUES (?)", (now_iso(),))
            return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, summary: dict) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET finished_at=?, summary=? WHERE id=?",
                (now_iso(), json.dumps(summary), run_id),
            )

    def log(self, run_id: int | None, url: str, decision: str, detail: str = "") -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO log(run_id, at, url, decision, detail) VALUES (?,?,?,?,?)",
                (run_id, now_iso(), url, decision, detail),
            )

    def log_entries(self, url: str | None = None, limit: int = 200) -> list[dict]:
        sql = "SELECT run_id, at, url, decision, detail FROM log"
        args: tuple = ()
        if url:
            sql += " WHERE url=?"
            args = (url,)
        sql += " ORDER BY id DESC LIMIT ?"
        return [dict(r) for r in self._rows(sql, (*args, limit))]

    # --- pages
    def get(self, url: str) -> PageState | None:
        rows = self._rows("SELECT * FROM pages WHERE url=?", (url,))
        return PageState(**dict(rows[0])) if rows else None

    def pages(self) -> list[PageState]:
        return [PageState(**dict(r)) for r in self._rows("SELECT * FROM pages ORDER BY url")]

    def find_by_hash(self, doc_hash: str, exclude_url: str) -> str | None:
        rows = self._rows(
            "SELECT url FROM pages WHERE doc_hash=? AND status='stored' AND url<>? LIMIT 1",
            (doc_hash, exclude_url),
        )
        return rows[0]["url"] if rows else None

    def signatures(self) -> list[tuple[str, str]]:
        rows = self._rows(
            "SELECT url, signature FROM pages WHERE status='stored' AND signature IS NOT NULL"
        )
        return [(r["url"], r["signature"]) for r in rows]

    def upsert(self, url: str, **fields: object) -> None:
        fields["updated_at"] = now_iso()
        with self._tx() as db:
            current = db.execute("SELECT 1 FROM pages WHERE url=?", (url,)).fetchone()
            if current is None:
                fields.setdefault("status", "stored")
                cols = ["url", *fields]
                db.execute(
                    f"INSERT INTO pages({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                    (url, *fields.values()),
                )
            else:
                sets = ",".join(f"{k}=?" for k in fields)
                db.execute(f"UPDATE pages SET {sets} WHERE url=?", (*fields.values(), url))

    def delete(self, url: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM pages WHERE url=?", (url,))
            db.execute("DELETE FROM links WHERE url=?", (url,))

    # --- crawled pages' links, followed again when a page comes back 304
    def page_links(self, url: str) -> list[str] | None:
        rows = self._rows("SELECT targets FROM links WHERE url=?", (url,))
        return json.loads(rows[0]["targets"]) if rows else None

    def remember_links(self, url: str, links: list[str]) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO links VALUES (?, ?)", (url, json.dumps(links)))
