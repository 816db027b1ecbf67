"""The ingest's memory: per-URL state and an audit log of every fetch decision.

Kept in the records database (`core.db`), so every replica and worker sees the same
pages; each method is its own unit of work.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update

from core import generation, keywords
from core.db import Database, in_lists
from core.settings import Settings
from core.tables import LinkRow, LogRow, PageRow, PendingWriteRow, RunRow


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


_PAGE_FIELDS = [f.name for f in fields(PageState)]


def _page(row: PageRow) -> PageState:
    return PageState(**{name: getattr(row, name) for name in _PAGE_FIELDS})


class IngestState:
    """What is stored and why, in the records database; safe to share between threads."""

    def __init__(self, db: Database, *, owns_db: bool = False) -> None:
        self.db = db
        self._owns_db = owns_db

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestState:
        return cls(Database.from_settings(settings), owns_db=True)

    def close(self) -> None:
        if self._owns_db:
            self.db.close()

    # --- runs and audit log
    def start_run(self) -> int:
        with self.db.session() as s:
            run = RunRow(started_at=now_iso())
            s.add(run)
            s.flush()
            return int(run.id)

    def finish_run(self, run_id: int, summary: dict) -> None:
        with self.db.session() as s:
            s.execute(update(RunRow).where(RunRow.id == run_id)
                      .values(finished_at=now_iso(), summary=json.dumps(summary)))

    def log(self, run_id: int | None, url: str, decision: str, detail: str = "") -> None:
        self.log_many(run_id, [(url, decision, detail)])

    def log_many(self, run_id: int | None, entries: Sequence[tuple[str, str, str]]) -> None:
        """Several audit-log lines (url, decision, detail) in one commit."""
        at = now_iso()
        with self.db.session() as s:
            s.add_all(LogRow(run_id=run_id, at=at, url=url, decision=decision, detail=detail)
                      for url, decision, detail in entries)

    def log_entries(self, url: str | None = None, limit: int = 200) -> list[dict]:
        query = select(LogRow.run_id, LogRow.at, LogRow.url, LogRow.decision, LogRow.detail)
        if url:
            query = query.where(LogRow.url == url)
        with self.db.session() as s:
            rows = s.execute(query.order_by(LogRow.id.desc()).limit(limit)).mappings().all()
        return [dict(r) for r in rows]

    def bump_generation(self) -> int:
        return generation.bump(self.db)

    # --- pages
    def get(self, url: str) -> PageState | None:
        with self.db.session() as s:
            row = s.get(PageRow, url)
            return _page(row) if row else None

    def pages(self) -> list[PageState]:
        with self.db.session() as s:
            return [_page(r) for r in s.scalars(select(PageRow).order_by(PageRow.url))]

    def stored_by_hash(self, doc_hashes: Sequence[str]) -> dict[str, list[str]]:
        """The stored pages holding each of `doc_hashes`, by hash, URLs sorted (one query
        for a whole batch, where `find_by_hash` is one a page)."""
        found: dict[str, list[str]] = {}
        wanted = sorted(set(doc_hashes))
        with self.db.session() as s:
            for part in in_lists(wanted):
                for url, doc_hash in s.execute(
                        select(PageRow.url, PageRow.doc_hash).where(
                            PageRow.doc_hash.in_(part),
                            PageRow.status == "stored").order_by(PageRow.url)):
                    found.setdefault(doc_hash, []).append(url)
        return found

    def find_by_hash(self, doc_hash: str, exclude_url: str) -> str | None:
        with self.db.session() as s:
            return s.scalar(select(PageRow.url).where(
                PageRow.doc_hash == doc_hash, PageRow.status == "stored",
                PageRow.url != exclude_url).order_by(PageRow.url).limit(1))

    def duplicates_of(self, url: str) -> list[PageState]:
        """Pages recorded as exact copies of `url` (left out of the index because of it)."""
        with self.db.session() as s:
            rows = s.scalars(select(PageRow).where(
                PageRow.duplicate_of == url, PageRow.status == "duplicate").order_by(PageRow.url))
            return [_page(r) for r in rows]

    def signatures(self) -> list[tuple[str, str]]:
        with self.db.session() as s:
            rows = s.execute(select(PageRow.url, PageRow.signature).where(
                PageRow.status == "stored", PageRow.signature.is_not(None)))
            return [(u, sig) for u, sig in rows]

    def upsert(self, url: str, **values: object) -> None:
        """Update a page's record; one recorded as anything but stored (a duplicate, a
        disallowed page) leaves the keyword index with it."""
        with self.db.session() as s:
            _upsert(s, url, values)
            if values.get("status", "stored") != "stored":
                keywords.delete_page(s, url)

    def delete(self, url: str) -> None:
        with self.db.session() as s:
            s.execute(delete(PageRow).where(PageRow.url == url))
            s.execute(delete(LinkRow).where(LinkRow.url == url))
            keywords.delete_page(s, url)

    # --- the store write in flight (see core.tables.PendingWriteRow)
    def begin_write(self, url: str, doc_hash: str) -> None:
        self.begin_writes([(url, doc_hash)])

    def begin_writes(self, pages: Sequence[tuple[str, str]]) -> None:
        """Open the pending writes of several pages (url, doc hash) in one unit of work."""
        at = now_iso()
        with self.db.session() as s:
            urls = [url for url, _ in pages]
            s.execute(delete(PendingWriteRow).where(PendingWriteRow.url.in_(urls)))
            s.execute(insert(PendingWriteRow),
                      [{"url": url, "doc_hash": doc_hash, "at": at} for url, doc_hash in pages])

    def finish_write(self, url: str, chunks: Sequence[keywords.IndexedChunk],
                     **values: object) -> None:
        """Record a page as stored with the chunks just written to the store: its state,
        its keyword index rows and the close of its pending write are one unit of work."""
        self.finish_writes([(url, chunks, values)])

    def finish_writes(self, pages: Sequence[tuple[str, Sequence[keywords.IndexedChunk],
                                                  dict[str, object]]]) -> None:
        """`finish_write` for several pages (url, chunks, values) in one unit of work: a
        batch of pages is recorded whole or not at all (its pending writes stay open)."""
        with self.db.session() as s:
            urls = [url for url, _chunks, _values in pages]
            # The batch's existing rows in one read, where `_upsert` reads one a page.
            rows = {row.url: row for row in s.scalars(select(PageRow).where(PageRow.url.in_(urls)))}
            for url, _chunks, values in pages:
                _upsert(s, url, values, rows.get(url))
            keywords.replace_pages(s, {url: chunks for url, chunks, _values in pages})
            s.execute(delete(PendingWriteRow).where(PendingWriteRow.url.in_(urls)))

    def index_keywords(self, url: str, chunks: Sequence[keywords.IndexedChunk]) -> bool:
        """(Re)index one stored page's chunks (the backfill); False when already current."""
        with self.db.session() as s:
            return keywords.replace_page(s, url, chunks)

    def unindex_keywords(self, url: str) -> int:
        with self.db.session() as s:
            return keywords.delete_page(s, url)

    def pending_writes(self) -> list[tuple[str, str]]:
        with self.db.session() as s:
            return [(u, h) for u, h in s.execute(
                select(PendingWriteRow.url, PendingWriteRow.doc_hash))]

    def drop_pending(self, url: str) -> None:
        with self.db.session() as s:
            s.execute(delete(PendingWriteRow).where(PendingWriteRow.url == url))

    # --- crawled pages' links, followed again when a page comes back 304
    def page_links(self, url: str) -> list[str] | None:
        with self.db.session() as s:
            targets = s.scalar(select(LinkRow.targets).where(LinkRow.url == url))
        return json.loads(targets) if targets is not None else None

    def remember_links(self, url: str, links: list[str]) -> None:
        with self.db.session() as s:
            s.merge(LinkRow(url=url, targets=json.dumps(links)))


def _upsert(s, url: str, values: dict[str, object], row: PageRow | None = None) -> None:
    """Create or update a page's row (`row`: the row already read, if it was)."""
    values = {**values, "updated_at": now_iso()}
    row = row if row is not None else s.get(PageRow, url)
    if row is None:
        values.setdefault("status", "stored")
        s.add(PageRow(url=url, **values))
        return
    for name, value in values.items():
        setattr(row, name, value)
