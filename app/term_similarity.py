"""Term-set Jaccard similarity between many chunks at once, for diversity ranking.

Diversity compares every chosen chunk with every remaining candidate: with 32-160
candidates that was ~90k Python set intersections a question set, 8 ms a question at 10k
chunks. Here each chunk's terms become integer ids once (cached by chunk id, which
hashes the chunk's text, so an entry never goes stale), and one sparse product gives
every pair's intersection size; Jaccard is then exact integer arithmetic, the same
numbers `app.terms.jaccard` gives.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse

# About 60 term ids per chunk: 200k chunks are ~50 MB; past that the cache starts over
# (stores that large re-ingest often enough that old ids would pile up).
_MAX_CACHED = 200_000


class TermIds:
    """Chunk id -> sorted array of its term ids, over one growing vocabulary."""

    def __init__(self) -> None:
        self._vocabulary: dict[str, int] = {}
        self._ids: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()  # requests run on several threads

    def of(self, chunk_id: str, terms: Callable[[], frozenset[str]]) -> np.ndarray:
        """The term ids of `chunk_id`, computing its `terms()` only the first time."""
        found = self._ids.get(chunk_id)
        if found is not None:
            return found
        words = terms()
        with self._lock:
            if len(self._ids) >= _MAX_CACHED:
                self._ids.clear()
            vocabulary = self._vocabulary
            ids = np.fromiter((vocabulary.setdefault(t, len(vocabulary)) for t in words),
                              dtype=np.int32, count=len(words))
            ids.sort()
            self._ids[chunk_id] = ids
        return ids


def jaccard_matrix(term_ids: Sequence[np.ndarray]) -> np.ndarray:
    """The n x n matrix of term Jaccard similarities; 0 where either set is empty."""
    n = len(term_ids)
    if n == 0:
        return np.zeros((0, 0))
    sizes = np.fromiter((len(t) for t in term_ids), dtype=np.int64, count=n)
    columns = np.concatenate(term_ids) if sizes.sum() else np.zeros(0, dtype=np.int32)
    width = int(columns.max()) + 1 if columns.size else 1
    rows = sparse.csr_matrix(
        (np.ones(columns.size, dtype=np.int64), columns, np.concatenate([[0], np.cumsum(sizes)])),
        shape=(n, width),
    )
    shared = (rows @ rows.T).toarray().astype(np.float64)
    union = sizes[:, None] + sizes[None, :] - shared
    both = (sizes[:, None] > 0) & (sizes[None, :] > 0)
    return np.divide(shared, union, out=np.zeros_like(shared), where=both)
