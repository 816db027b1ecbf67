"""bm25s over every stored chunk, held in this process (CAREERQA_KEYWORD_INDEX=memory).

Built from a full read of the vector store, at start and after every change; its memory
and build time grow with the corpus (docs/performance.md, "Keyword index").
"""

from __future__ import annotations

import logging
from collections import Counter

import bm25s
import numpy as np

from app.chunk_filters import filter_fields, has_filters, passes
from app.keyword_index import specificity
from app.models import Filters
from core.terms import term_set, terms
from ingest.records import Chunk
from ingest.store import VectorStore

# bm25s sets its own logger to DEBUG on import, which would print a line per index build
# into every CLI command's output; its warnings still get through.
logging.getLogger("bm25s").setLevel(logging.WARNING)


class MemoryKeywordIndex:
    """BM25 over a list of chunks, plus the per-chunk fields filters look at."""

    def __init__(self, chunks: list[Chunk], store: VectorStore | None = None) -> None:
        self.store = store
        self._chunks = chunks
        # Filter fields, computed once: parsing 50k URLs per filtered query would cost 0.2 s.
        self.fields = [filter_fields(c) for c in chunks]
        corpus = [terms(c.text + " " + " ".join(c.heading_path)) for c in chunks]
        # Text-only term sets, for diversity: computing them per query cost ~4 ms.
        self.text_terms = {c.id: term_set(c.text) for c in chunks}
        self.by_id = {c.id: c for c in chunks}
        self.by_url: dict[str, list[Chunk]] = {}
        for chunk in sorted(chunks, key=lambda c: c.position):
            self.by_url.setdefault(chunk.url, []).append(chunk)
        self.doc_freq: Counter[str] = Counter(t for doc in corpus for t in set(doc))
        self.vocabulary = frozenset(self.doc_freq)
        self.bm25: bm25s.BM25 | None = None
        if chunks:
            self.bm25 = bm25s.BM25()
            # An empty chunk (all stopwords) still needs a row, or indices would shift.
            self.bm25.index([doc or [""] for doc in corpus], show_progress=False)

    @classmethod
    def from_store(cls, store: VectorStore) -> MemoryKeywordIndex:
        return cls(store.all_chunks(), store)

    def refreshed(self) -> MemoryKeywordIndex:
        return MemoryKeywordIndex.from_store(self.store) if self.store is not None else self

    def chunks(self) -> list[Chunk]:
        return self._chunks

    def article(self, url: str) -> list[Chunk]:
        return self.by_url.get(url, [])

    def held(self) -> dict[str, Chunk]:
        return self.by_id

    def search(self, query_terms: list[str], n: int,
               filters: Filters | None = None) -> list[tuple[Chunk, float]]:
        scores = self.scores(query_terms, self.mask(filters) if has_filters(filters) else None)
        return [(self._chunks[i], float(scores[i])) for i in _top_positive(scores, n)]

    def scores(self, query_terms: list[str], mask: np.ndarray | None) -> np.ndarray:
        known = [t for t in query_terms if t in self.vocabulary]
        if self.bm25 is None or not known:
            return np.zeros(len(self._chunks), dtype=np.float32)
        scores = np.asarray(self.bm25.get_scores(known), dtype=np.float32)
        return scores * mask if mask is not None else scores

    def specificity(self, query_terms: list[str]) -> float:
        """How rare the query's rarest known word is, 0 (in every chunk) .. 1 (in one chunk).

        BM25 ranks by rare shared words; when a question has none ("what do staff
        engineers do?" in a corpus about staff engineers) its ranking is noise.
        """
        return specificity(len(self._chunks), {t: self.doc_freq[t] for t in query_terms
                                               if t in self.doc_freq})

    def mask(self, filters: Filters | None) -> np.ndarray:
        assert filters is not None
        return np.fromiter(
            (passes(f, filters) for f in self.fields), dtype=np.float32, count=len(self.fields)
        )


def _top_positive(scores: np.ndarray, n: int) -> list[int]:
    """Indices of the n highest scores above zero, best first (argpartition: O(N))."""
    if scores.size == 0:
        return []
    n = min(n, scores.size)
    idx = np.argpartition(-scores, n - 1)[:n]
    idx = idx[scores[idx] > 0]
    return [int(i) for i in idx[np.argsort(-scores[idx], kind="stable")]]
