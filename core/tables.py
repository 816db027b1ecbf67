"""The service's records as SQLAlchemy 2 models; `core/migrations/` creates them."""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class PageRow(Base):
    """Per-URL ingest state: what is stored and why."""

    __tablename__ = "pages"

    url: Mapped[str] = mapped_column(String, primary_key=True)
    source: Mapped[str] = mapped_column(String, default="", server_default="")
    status: Mapped[str] = mapped_column(String)  # stored | duplicate | failed | disallowed
    reason: Mapped[str | None] = mapped_column(String)
    error: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    doc_hash: Mapped[str | None] = mapped_column(String, index=True)
    etag: Mapped[str | None] = mapped_column(String)
    last_modified: Mapped[str | None] = mapped_column(String)
    fetched_at: Mapped[str | None] = mapped_column(String)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    duplicate_of: Mapped[str | None] = mapped_column(String, index=True)
    near_duplicate_of: Mapped[str | None] = mapped_column(String)
    signature: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[str] = mapped_column(String)


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[str] = mapped_column(String)
    finished_at: Mapped[str | None] = mapped_column(String)
    summary: Mapped[str | None] = mapped_column(Text)


class LogRow(Base):
    """The audit log: every fetch decision of every run."""

    __tablename__ = "log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String)
    url: Mapped[str] = mapped_column(String, index=True)
    decision: Mapped[str] = mapped_column(String)
    detail: Mapped[str | None] = mapped_column(Text)


class LinkRow(Base):
    """A crawled page's links, followed again when the page comes back 304."""

    __tablename__ = "links"

    url: Mapped[str] = mapped_column(String, primary_key=True)
    targets: Mapped[str] = mapped_column(Text)


class PendingWriteRow(Base):
    """A page whose chunks are being written to the vector store and not yet recorded.

    Written before the store write and removed with the state write, in one transaction:
    a row left behind names the page a killed run wrote half-way (reconciled next run).
    """

    __tablename__ = "pending_writes"

    url: Mapped[str] = mapped_column(String, primary_key=True)
    doc_hash: Mapped[str] = mapped_column(String)
    at: Mapped[str] = mapped_column(String)


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[str] = mapped_column(String)
    rating: Mapped[str] = mapped_column(String)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    sentence: Mapped[str | None] = mapped_column(Text)
    citation: Mapped[str | None] = mapped_column(Text)


class JobRow(Base):
    """An ingest job: queued by the API, claimed and run by one worker."""

    __tablename__ = "jobs"
    __table_args__ = (
        # One active job per set of sources: a second identical request joins the first.
        Index("jobs_active_key", "key", unique=True,
              sqlite_where=text("status IN ('queued', 'running')"),
              postgresql_where=text("status IN ('queued', 'running')")),
        Index("jobs_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)  # queued | running | done | failed
    request: Mapped[str] = mapped_column(Text)  # {"sources": [...], "prune": bool}
    created_at: Mapped[str] = mapped_column(String)
    started_at: Mapped[str | None] = mapped_column(String)
    finished_at: Mapped[str | None] = mapped_column(String)
    heartbeat: Mapped[float | None] = mapped_column(Float)  # unix time of the last beat
    worker: Mapped[str | None] = mapped_column(String)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    progress: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)


class GenerationRow(Base):
    """The index generation: bumped by every ingest or deletion that changed the store."""

    __tablename__ = "index_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    generation: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[str] = mapped_column(String)


class SentenceVectorRow(Base):
    """model + sentence text (hashed) -> unit vector; shared by every replica."""

    __tablename__ = "sentence_vectors"

    key: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class RateBucketRow(Base):
    """A client's token bucket, when rate limits are shared across replicas."""

    __tablename__ = "rate_buckets"

    client: Mapped[str] = mapped_column(String, primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated: Mapped[float] = mapped_column(Float)  # unix time




class KeywordChunkRow(Base):
    """One indexed chunk of the database keyword index (`core.keywords`).

    Written and deleted by ingest in the same unit of work as its page's state, so every
    replica searches the recorded version of every page. `terms` is the chunk's text and
    headings through `core.terms` (what the in-memory BM25 indexes too); the full-text
    index over it is dialect-specific and made by the migration: an FTS5 table fed by
    triggers on SQLite, a generated `tsv` column with a GIN index on PostgreSQL.
    """

    __tablename__ = "keyword_chunks"

    row: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String, unique=True)  # the chunk id in the vector store
    url: Mapped[str] = mapped_column(String, index=True)
    position: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String)  # lower-cased, for the site filter
    headings: Mapped[str] = mapped_column(Text)  # lower-cased " > " path, for the heading filter
    text: Mapped[str] = mapped_column(Text)
    meta: Mapped[str] = mapped_column(Text)  # JSON of Chunk.metadata()
    terms: Mapped[str] = mapped_column(Text)


class KeywordTermRow(Base):
    """Document frequency of one term over `keyword_chunks`: the rarity that weights the
    keyword vote in fusion and the vocabulary the coverage check looks names up in."""

    __tablename__ = "keyword_terms"

    term: Mapped[str] = mapped_column(String, primary_key=True)
    docs: Mapped[int] = mapped_column(Integer)
