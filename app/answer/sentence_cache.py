"""Sentence vectors kept in the database, so that an answer never waits for the model twice.

Embedding the ~80 candidate sentences of a question nobody asked before is most of an
extractive answer's time on a CPU. The vectors depend only on the model and the
sentence's text, so they are stored in the records database, keyed by a hash of both,
and filled ahead of time by `SentenceWarmer`: after warm-up, a new question costs one
query embedding, on every replica.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sqlalchemy import func, select

from app.answer.quotes import sentences
from core.db import Database, in_lists
from core.tables import SentenceVectorRow
from ingest.embed import Embedder
from ingest.records import Chunk

log = logging.getLogger("careerqa")


class SentenceCache:
    """model + text -> unit vector, in the records database that every replica shares."""

    def __init__(self, db: Database, model: str, dim: int) -> None:
        self.db = db
        self.model = model
        self.dim = dim

    def key(self, text: str) -> bytes:
        return hashlib.blake2b(f"{self.model}\0{text}".encode(), digest_size=16).digest()

    def get_many(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        by_key = {self.key(t): t for t in texts}
        keys = list(by_key)
        found: dict[str, np.ndarray] = {}
        with self.db.session() as s:
            for page in in_lists(keys):
                rows = s.execute(select(SentenceVectorRow.key, SentenceVectorRow.vector)
                                 .where(SentenceVectorRow.key.in_(page)))
                for key, blob in rows:
                    found[by_key[bytes(key)]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        rows = [{"key": self.key(t), "vector": np.asarray(v, dtype=np.float32).tobytes()}
                for t, v in items.items()]
        if not rows:
            return
        # One unit of work: a crash leaves either all of a batch or none of it. Another
        # replica may have written the same sentence meanwhile: same key, same vector.
        with self.db.session() as s:
            s.execute(_insert_ignoring_duplicates(self.db), rows)

    def __len__(self) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(SentenceVectorRow)) or 0)

    def close(self) -> None:
        """The database belongs to the app, which closes it."""


def _insert_ignoring_duplicates(db: Database):
    if db.is_postgres:
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(SentenceVectorRow).on_conflict_do_nothing(index_elements=["key"])


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
        prepare: Callable[[Chunk], None] | None = None,
    ) -> None:
        self.cache = cache
        self.embedder = embedder
        self.chunks = chunks
        self.batch_size = batch_size
        # Run on every chunk after its sentences are embedded (the answerer's per-chunk
        # analysis, cached in process), so a first question costs what a repeat does.
        self.prepare = prepare
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
        chunks = list(self.chunks())
        texts = chunk_sentences(chunks)
        # Similar lengths in one batch: the model pads every sentence to its batch's
        # longest, and store order mixes 6-word and 40-word sentences (warm-up ran at
        # 0.78 of the raw model's length-sorted rate over 14,450 sentences without it).
        missing = sorted(missing_sentences(self.cache, texts), key=len)
        self.total, self.done = len(texts), len(texts) - len(missing)
        if missing:
            log.info("embedding %d sentences ahead of questions", len(missing))
        size = self.batch_size
        batches = [missing[i : i + size] for i in range(0, len(missing), size)]
        # The cache writes and the per-chunk analysis run on a thread beside the model's:
        # the model leaves part of the second core idle (its serial operators), and done
        # between its calls they cost the warm-up ~6% of its time (3.6 of ~59 s over
        # 2,000 chunks; docs/performance.md). The analysis needs no vectors, so it is
        # spread over the batches from the start.
        prepare = self.prepare
        share = -(-len(chunks) // max(len(batches), 1))  # chunks analysed per batch
        with ThreadPoolExecutor(1, thread_name_prefix="sentence-writer") as side:
            pending = []
            for n, batch in enumerate(batches):
                if self._stop.is_set():
                    break
                pending.append(side.submit(self._put, batch, self.embedder.embed(batch)))
                if prepare is not None:
                    part = chunks[n * share : (n + 1) * share]
                    pending.append(side.submit(self._analyse, prepare, part))
            if prepare is not None and not batches:
                pending.append(side.submit(self._analyse, prepare, chunks))
        for future in pending:
            future.result()  # a failed write fails the pass, as it did in line

    def _put(self, batch: list[str], vectors: np.ndarray) -> None:
        self.cache.put_many(dict(zip(batch, vectors, strict=True)))
        self.done += len(batch)

    def _analyse(self, prepare: Callable[[Chunk], None], chunks: Sequence[Chunk]) -> None:
        for chunk in chunks:
            if self._stop.is_set():
                return
            prepare(chunk)


def missing_sentences(cache: SentenceCache, texts: list[str]) -> list[str]:
    known = set(cache.get_many(texts))
    return [t for t in texts if t not in known]


class SentenceStage:
    """The ingest's last stage, in the worker: embeds the sentences of each stored batch
    into the shared cache, so that no replica has to warm up (`Ingestor(after_store=)`)."""

    def __init__(self, cache: SentenceCache, embedder: Embedder, batch_size: int = 64) -> None:
        self.cache = cache
        self.embedder = embedder
        self.batch_size = batch_size

    def __call__(self, chunks: Sequence[Chunk]) -> None:
        missing = missing_sentences(self.cache, chunk_sentences(chunks))
        for i in range(0, len(missing), self.batch_size):
            batch = missing[i : i + self.batch_size]
            self.cache.put_many(dict(zip(batch, self.embedder.embed(batch), strict=True)))
