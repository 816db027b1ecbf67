"""The records layer: one SQLAlchemy engine for ingest state, audit log, runs, feedback, jobs.

A SQLite file in the data directory by default (the embedded mode needs no server);
PostgreSQL (psycopg 3) when `CAREERQA_DATABASE_URL` names one, so that every replica
and worker reads and writes the same records. The schema is Alembic's
(`core/migrations/`), upgraded to head whenever a process opens the database.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any fixed 64-bit number: the PostgreSQL advisory lock that serialises migrations when
# several replicas start at once.
_MIGRATION_LOCK = 0x63617265657271
# Values per `IN (...)` list: SQLite caps the bound parameters of one statement.
_IN_LIST = 500

T = TypeVar("T")


def in_lists(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """`values` in slices small enough for one `IN (...)` list of a statement."""
    for i in range(0, len(values), _IN_LIST):
        yield values[i : i + _IN_LIST]


def database_url(settings: Settings) -> str:
    """The configured URL, else a SQLite file in the data directory.

    A bare `postgresql://` URL is taken to mean psycopg 3, the driver we install.
    """
    if settings.database_url:
        url = make_url(settings.database_url)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    return f"sqlite:///{settings.sqlite_path.resolve()}"


class Database:
    """An engine plus sessions; `session()` is one unit of work (commit or roll back)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = _engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings, *, migrate: bool = True) -> Database:
        db = cls(database_url(settings))
        if migrate:
            db.upgrade()
        return db

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reader(self) -> Iterator[Connection]:
        """A read-only unit of work: on SQLite a deferred BEGIN, so that readers (keyword
        searches) run side by side instead of queueing for the write lock."""
        with (self.engine.connect().execution_options(careerqa_read=True) as connection,
              connection.begin()):
            yield connection

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (safe when replicas start together)."""
        from alembic import command
        from alembic.config import Config

        with self._migration_lock() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS_DIR))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def _migration_lock(self) -> Iterator:
        if self.is_postgres:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
                connection.commit()
                try:
                    yield connection
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"),
                                       {"k": _MIGRATION_LOCK})
                    connection.commit()
            return
        path = make_url(self.url).database or ""
        lock_path = Path(f"{path}.migrate-lock") if path and path != ":memory:" else None
        if lock_path is None:
            with self.engine.connect() as connection:
                yield connection
            return
        with lock_path.open("w") as lock, self.engine.connect() as connection:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield connection
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def close(self) -> None:
        self.engine.dispose()


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # pre_ping: a replica outlives a database restart without failing its next request.
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy issue BEGIN itself (pysqlite's own transaction handling would
        # start them late), and take the write lock at BEGIN, so that a read-then-write
        # unit of work cannot deadlock against another one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        read = connection.get_execution_options().get("careerqa_read", False)
        connection.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

    return engine
