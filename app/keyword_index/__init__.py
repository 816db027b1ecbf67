"""The keyword side of hybrid retrieval, behind one small protocol.

Two implementations, chosen by `CAREERQA_KEYWORD_INDEX`:

- `memory` (`app.keyword_index.memory`): bm25s over every chunk, read from the vector
  store into each process at start and after every change;
- `database` (`app.keyword_index.database`): the records database's full-text index
  (SQLite FTS5, PostgreSQL tsvector + GIN), which ingest writes with each page's state, so
  every replica searches the same index and nothing reads every chunk at start.

Retrieval asks the index for its best chunks, for how rare the question's words are (the
weight of the keyword vote), whether a name occurs anywhere (the coverage check), and for
an article's chunks in reading order (the answerer's pool).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Container, Iterable, Mapping
from typing import Protocol

from app.models import Filters
from core.db import Database
from core.settings import Settings
from ingest.records import Chunk
from ingest.store import VectorStore

log = logging.getLogger("careerqa.keywords")


class KeywordIndex(Protocol):
    """What retrieval needs from a keyword index; one instance per index generation."""

    # Terms of any indexed chunk: "Netflix" unknown here is not covered by the sources.
    vocabulary: Container[str]
    # Chunk id -> its text's terms, where the index has them at hand (diversity uses them
    # and computes the rest itself).
    text_terms: Mapping[str, frozenset[str]]

    def search(self, query_terms: list[str], n: int,
               filters: Filters | None = None) -> list[tuple[Chunk, float]]:
        """The n best chunks for the terms that pass the filters, best first."""
        ...

    def specificity(self, query_terms: list[str]) -> float:
        """How rare the query's rarest known term is: 0 (in every chunk) .. 1 (in one)."""
        ...

    def article(self, url: str) -> list[Chunk]:
        """The page's chunks in reading order."""
        ...

    def held(self) -> Mapping[str, Chunk]:
        """Chunks this process holds, by id: a dense hit found here needs no store read."""
        ...

    def chunks(self) -> Iterable[Chunk]:
        """Every indexed chunk (the sentence warm-up reads them)."""
        ...

    def refreshed(self) -> KeywordIndex:
        """The index to search after the store changed (the old one serves meanwhile)."""
        ...


def keyword_index_from_settings(settings: Settings, store: VectorStore,
                                db: Database | None) -> KeywordIndex:
    """The index `settings.keyword_index` names, ready to search."""
    if settings.keyword_index == "database":
        from app.keyword_index.database import DatabaseKeywordIndex

        if db is None:
            raise ValueError("the database keyword index needs the records database")
        index = DatabaseKeywordIndex(db)
        if index.n == 0 and store.count() > 0:
            log.warning("the keyword index is empty but the store holds chunks: index them "
                        "once with `careerqa keywords build`")
        return index
    from app.keyword_index.memory import MemoryKeywordIndex

    return MemoryKeywordIndex.from_store(store)


def specificity(n: int, doc_freq: Mapping[str, int]) -> float:
    """max over the known terms of log(n / df) / log(n), from `n` indexed chunks and the
    known terms' document frequencies; 0 with fewer than two chunks or no known term."""
    if n < 2 or not doc_freq:
        return 0.0
    return max(math.log(n / df) for df in doc_freq.values()) / math.log(n)
