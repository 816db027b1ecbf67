"""Sentence vectors kept on disk, so that an answer never waits for the model twice.

Embedding the ~80 candidate sentences of a question nobody asked before is most of an
extractive answer's time on a CPU. The vectors depend only on the model and the
sentence's text, so they are stored in SQLite, keyed by a hash of both, and filled ahead
of time by `SentenceWarmer`: after warm-up, a new question costs one query embedding.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from app.answer.quotes import sentences
from ingest.embed import Embedder
from ingest.records import Chunk

log = logging.getLogger("careerqa")

_SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)"
# SQLite caps the number of bound variables per statement.
_LOOKUP_PAGE = 500


class SentenceCache:
    """model + text -> unit vector, in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path, model: str, dim: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.model = model
        self.dim = dim
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)

    def key(self, text: str) -> bytes:
        return hashlib.blake2b(f"{self.model}\0{text}".encode(), digest_size=16).digest()

    def get_many(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        by_key = {self.key(t): t for t in texts}
        keys = list(by_key)
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), _LOOKUP_PAGE):
                page = keys[i : i + _LOOKUP_PAGE]
                marks = ",".join("?" * len(page))
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({marks})", page
                ).fetchall()
                for key, blob in rows:
                    found[by_key[key]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        rows = [(self.key(t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in items.items()]
        with self._lock:
            # One transaction: a crash leaves either all of a batch or none of it.
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
            self._db.execute("COMMIT")

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def chunk_sentences(chunks: Iterable[Chunk]) -> list[str]:
    """Every distinct sentence text of the chunks, in order of first appearance."""
    seen: dict[str, None] = {}
    for chunk in chunks:
        for start, end in sentences(chunk):
            seen.setdefault(chunk.text[start:end], None)
    return list(seen)


class SentenceWarmer:
    """Embeds the stored chunks' sentences in a background thread, a batch at a time.

    Small batches keep the model free for queries between them; `kick()` after an
    ingest queues another pass for the new chunks.
    """

    def __init__(
        self,
        cache: SentenceCache,
        embedder: Embedder,
        chunks: Callable[[], Sequence[Chunk]],
        batch_size: int = 32,
    ) -> None:
        self.cache = cache
        self.embedder = embedder
        self.chunks = chunks
        self.batch_size = batch_size
        self.done = 0
        self.total = 0
        self.idle = threading.Event()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sentence-warmer", daemon=True)

    def start(self) -> None:
        self._wake.set()
        self._thread.start()

    def kick(self) -> None:
        self.idle.clear()
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.ident is not None:  # `careerqa ask` never starts it
            self._thread.join(timeout=30)

    def status(self) -> dict[str, int | bool]:
        return {"done": self.done, "total": self.total, "idle": self.idle.is_set()}

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._pass()
            except Exception:  # a failed pass only costs speed; queries embed on demand
                log.exception("sentence warm-up failed")
            if not self._wake.is_set():
                self.idle.set()

    def _pass(self) -> None:
        texts = chunk_sentences(self.chunks())
        known = set(self.cache.get_many(texts))
        missing = [t for t in texts if t not in known]
        self.total, self.done = len(texts), len(texts) - len(missing)
        if missing:
            log.info("embedding %d sentences ahead of questions", len(missing))
        for i in range(0, len(missing), self.batch_size):
            if self._stop.is_set():
                return
            batch = missing[i : i + self.batch_size]
            self.cache.put_many(dict(zip(batch, self.embedder.embed(batch), strict=True)))
            self.done += len(batch)
