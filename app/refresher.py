"""Keeps a replica's caches in step with the index generation in the records database.

A background thread polls the generation every `refresh_seconds`; when another replica
or a worker moved it (an ingest batch, a deletion), the lexical index is rebuilt and the
sentence warm-up queued, off the request path: queries keep the old index meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from core import generation
from core.db import Database

log = logging.getLogger("careerqa")


class GenerationWatcher:
    """Calls `refresh` once per generation change seen, from one background thread."""

    def __init__(self, db: Database, refresh: Callable[[], None], every: float) -> None:
        self.db = db
        self._refresh = refresh
        self.every = every
        self.seen = generation.current(db)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="generation-watcher",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=30)

    def check(self) -> bool:
        """Refresh now if the generation moved; True when it did."""
        with self._lock:  # the poller and a local change may check at once
            now = generation.current(self.db)
            if now == self.seen:
                return False
            # Read before rebuilding: a change during the rebuild is picked up next time.
            self._refresh()
            self.seen = now
            return True

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.check()
            except Exception:  # the database or store is away; the next poll tries again
                log.warning("index refresh failed", exc_info=True)
