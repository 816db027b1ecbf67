"""Embeddings of chunk sentences, cached: the same popular chunks come back question after question.

Embedding ~80 candidate sentences is most of an extractive answer's time on a CPU;
a sentence's vector depends only on its text, so vectors are kept in memory (LRU) in
front of an optional `SentenceCache` on disk, which `SentenceWarmer` fills ahead of
questions. A sentence shared by overlapping chunks is embedded once. A two-sentence quote's vector
is the normalised sum of its sentences', which ranks and de-duplicates as well as
embedding the pair and costs nothing extra. Article titles, which the trait scoring
compares sentences with, are cached the same way, keyed by their text.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.answer.quotes import Quote
from app.answer.sentence_cache import SentenceCache
from app.embedding_cache import EmbeddingCache
from ingest.embed import Embedder


class QuoteVectors:
    """Vectors of quotes (and of any extra texts) from at most one embedder call."""

    def __init__(
        self, embedder: Embedder, capacity: int = 20_000, disk: SentenceCache | None = None
    ) -> None:
        self.embedder = embedder
        self.cache = EmbeddingCache(embedder, capacity, disk)

    def embed(
        self, quotes: Sequence[Quote], extra_texts: Sequence[str] = ()
    ) -> tuple[np.ndarray, np.ndarray]:
        """(one row per quote, one row per extra text); only uncached sentences are embedded,
        together with the extra texts, in a single call."""
        quote_rows, _, extra_rows = self.embed_all(quotes, (), extra_texts)
        return quote_rows, extra_rows

    def embed_all(
        self,
        quotes: Sequence[Quote],
        cached_texts: Sequence[str] = (),
        extra_texts: Sequence[str] = (),
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows for the quotes, for `cached_texts` (titles: remembered by their text) and
        for `extra_texts` (claims: never remembered), from one embedder call at most."""
        keys = [[q.chunk.text[s:e] for s, e in q.sentences] for q in quotes]
        found, extra_rows = self.cache.vectors_with(
            [k for ks in keys for k in ks] + list(cached_texts), extra_texts
        )
        dim = self.embedder.dim
        # The embedder's rows are unit length already; a pair's is the normalised sum.
        rows = [found[ks[0]] if len(ks) == 1 else _unit(np.sum([found[k] for k in ks], axis=0))
                for ks in keys]
        quote_vectors = np.vstack(rows) if rows else np.zeros((0, dim), dtype=np.float32)
        cached = [found[t] for t in cached_texts]
        cached_vectors = np.vstack(cached) if cached else np.zeros((0, dim), dtype=np.float32)
        return quote_vectors, cached_vectors, extra_rows


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm if norm else vector).astype(np.float32)
