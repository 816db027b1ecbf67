"""Text -> unit vector, remembered: an LRU in memory, optionally in front of vectors on disk.

The answerer (candidate sentences, titles) and the checker (claims, source sentences) both
embed the same texts again and again; misses are embedded together, so a request costs
one model call at most.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

from ingest.embed import Embedder


class DiskVectors(Protocol):
    """Vectors kept across restarts (app.answer.sentence_cache.SentenceCache)."""

    def get_many(self, texts: Iterable[str]) -> dict[str, np.ndarray]: ...

    def put_many(self, items: dict[str, np.ndarray]) -> None: ...


class EmbeddingCache:
    """A bounded text -> unit vector LRU; safe to share between threads."""

    def __init__(self, embedder: Embedder, size: int = 4096, disk: DiskVectors | None = None):
        self.embedder = embedder
        self.size = size
        self.disk = disk
        self._store: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._store)

    def vectors(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        return self.vectors_with(texts)[0]

    def vectors_with(
        self, texts: Iterable[str], extra: Sequence[str] = ()
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Vectors of `texts` (remembered) and rows for `extra` (never remembered: claims
        are seldom asked twice), from one embedder call at most."""
        found: dict[str, np.ndarray] = {}
        missing: list[str] = []
        with self._lock:
            for text in dict.fromkeys(texts):
                if text in self._store:
                    self._store.move_to_end(text)
                    found[text] = self._store[text]
                else:
                    missing.append(text)
        if missing and self.disk is not None:
            stored = self.disk.get_many(missing)
            self._remember(stored)
            found.update(stored)
            missing = [t for t in missing if t not in stored]
        batch = missing + list(extra)
        rows = (self.embedder.embed(batch) if batch
                else np.zeros((0, self.embedder.dim), dtype=np.float32))
        fresh = dict(zip(missing, rows[: len(missing)], strict=True))
        self._remember(fresh)
        if fresh and self.disk is not None:
            self.disk.put_many(fresh)
        found.update(fresh)
        return found, rows[len(missing) :]

    def _remember(self, fresh: dict[str, np.ndarray]) -> None:
        with self._lock:
            self._store.update(fresh)
            while len(self._store) > self.size:
                self._store.popitem(last=False)
