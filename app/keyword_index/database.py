"""The records database's full-text index (CAREERQA_KEYWORD_INDEX=database).

Ingest writes it with each page's state (`core.keywords`), so a replica holds nothing
but a chunk count and a small cache of term frequencies, both dropped when the index
generation moves, and bounded caches of articles and chunk term sets; a search, an
article and a term lookup are each one query.
"""

from __future__ import annotations

from collections.abc import Iterator

from app.keyword_index import specificity
from app.models import Filters
from core import keywords
from core.db import Database
from core.terms import term_set
from ingest.records import Chunk

_TERM_CACHE = 50_000  # cached term frequencies before the cache starts over
# Chunks whose text terms are kept for diversity (~3 kB each), and articles kept in reading
# order. Term sets outlive a generation: a chunk id hashes its URL, version and position,
# so an id's text never changes. Articles are per generation.
_TEXT_TERMS, _ARTICLES = 20_000, 1_000
# A full-text search costs the posting lists of its terms: at 50k chunks an OR over a
# question's words took 290 ms (median, load 12), nearly all of it in words that most
# chunks hold and that add almost nothing to BM25. Words in more than _COMMON_SHARE of
# the chunks (the share at which `app.retrieve` stops giving the keyword vote its full
# weight) and in more than _COMMON_FLOOR chunks are left out of the search, keeping at
# least the _KEEP rarest; below the floor (every corpus of the question sets) nothing is.
_COMMON_SHARE, _COMMON_FLOOR, _KEEP = 0.08, 1_000, 2


class DatabaseKeywordIndex:
    """One generation's view of the database keyword index."""

    def __init__(self, db: Database, text_terms: dict[str, frozenset[str]] | None = None) -> None:
        self.db = db
        self.text_terms = text_terms if text_terms is not None else {}
        self._freq: dict[str, int] = {}  # term -> chunks holding it (0: none)
        self._articles: dict[str, list[Chunk]] = {}
        with db.reader() as connection:
            self.n = keywords.chunk_count(connection)
        self.vocabulary = _Vocabulary(self)

    def refreshed(self) -> DatabaseKeywordIndex:
        return DatabaseKeywordIndex(self.db, self.text_terms)

    def _remember(self, chunks: list[Chunk]) -> list[Chunk]:
        if len(self.text_terms) > _TEXT_TERMS:
            self.text_terms.clear()
        for chunk in chunks:
            if chunk.id not in self.text_terms:
                self.text_terms[chunk.id] = term_set(chunk.text)
        return chunks

    def freqs(self, query_terms: list[str]) -> dict[str, int]:
        """Document frequencies of the terms some chunk holds."""
        missing = [t for t in set(query_terms) if t not in self._freq]
        if missing:
            with self.db.reader() as connection:
                found = keywords.doc_freqs(connection, missing)
            if len(self._freq) > _TERM_CACHE:
                self._freq = {}
            self._freq.update({t: found.get(t, 0) for t in missing})
        return {t: self._freq[t] for t in set(query_terms) if self._freq.get(t)}

    def search(self, query_terms: list[str], n: int,
               filters: Filters | None = None) -> list[tuple[Chunk, float]]:
        freqs = self.searched_terms(self.freqs(query_terms))
        if not freqs:
            return []
        idf = {t: keywords.idf(self.n, df) for t, df in freqs.items()}
        where = None
        if filters is not None:
            where = keywords.KeywordFilters(filters.site, filters.url_prefix, filters.heading)
        with self.db.reader() as connection:
            found = keywords.search(connection, list(freqs), n, where, idf)
        hits = [(Chunk.from_stored(*row), score) for row, score in found]
        self._remember([c for c, _ in hits])
        return hits

    def searched_terms(self, freqs: dict[str, int]) -> dict[str, int]:
        """The terms worth their posting lists (see _COMMON_SHARE), rarest first."""
        rarest = sorted(freqs, key=lambda t: (freqs[t], t))
        limit = max(_COMMON_SHARE * self.n, _COMMON_FLOOR)
        kept = [t for t in rarest if freqs[t] <= limit]
        if len(kept) < _KEEP:
            kept = rarest[:_KEEP]
        return {t: freqs[t] for t in kept}

    def specificity(self, query_terms: list[str]) -> float:
        return specificity(self.n, self.freqs(query_terms))

    def article(self, url: str) -> list[Chunk]:
        if (known := self._articles.get(url)) is not None:
            return known
        with self.db.reader() as connection:
            chunks = [Chunk.from_stored(*row) for row in keywords.article(connection, url)]
        if len(self._articles) > _ARTICLES:
            self._articles.clear()
        self._articles[url] = self._remember(chunks)
        return chunks

    def held(self) -> dict[str, Chunk]:
        # Nothing is held: dense hits are read from the vector store by id.
        return {}

    def chunks(self) -> Iterator[Chunk]:
        with self.db.reader() as connection:
            for row in keywords.all_chunks(connection):
                yield Chunk.from_stored(*row)


class _Vocabulary:
    """`term in vocabulary`, answered by the database (and cached)."""

    def __init__(self, index: DatabaseKeywordIndex) -> None:
        self._index = index

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and bool(self._index.freqs([term]))
