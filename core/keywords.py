"""The database keyword index: rows written with a page's state, searched in SQL.

Ingest calls `replace_page` / `delete_page` inside the unit of work that records (or
forgets) the page, so the index holds exactly the recorded version of every page and
every replica sees a change when that unit commits. Searching ranks by SQLite FTS5's
bm25() or, on PostgreSQL, by a sum of ts_rank over the query's terms, each weighted by
its inverse document frequency from `keyword_terms` (ts_rank alone knows nothing of how
rare a word is across the corpus, which is what BM25 ranks by).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlparse

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from core.db import in_lists
from core.tables import KeywordChunkRow, KeywordTermRow
from core.terms import terms

SqlConnection = Session | Connection
# A found chunk as stored: id, text, the metadata it was stored with (Chunk.from_stored).
Found = tuple[str, str, dict[str, Any]]


class IndexedChunk(Protocol):
    """What the index reads from a chunk (ingest.records.Chunk has it)."""

    id: str
    text: str
    url: str
    position: int
    heading_path: tuple[str, ...]

    def metadata(self) -> dict[str, str | int]: ...


@dataclass(frozen=True)
class KeywordFilters:
    """The request filters the keyword search applies in SQL (see app.retrieve.matches)."""

    site: str | None = None
    url_prefix: str | None = None
    heading: str | None = None


def chunk_terms(chunk: IndexedChunk) -> list[str]:
    """What is indexed for a chunk: its text and section headings, analysed."""
    return terms(chunk.text + " " + " ".join(chunk.heading_path))


def replace_page(session: Session, url: str, chunks: Sequence[IndexedChunk]) -> bool:
    """Make the page's indexed chunks exactly `chunks`; False when they already were."""
    return replace_pages(session, {url: chunks}) > 0


def replace_pages(session: Session, pages: dict[str, Sequence[IndexedChunk]]) -> int:
    """`replace_page` for many pages in a few statements (one read, one delete, one insert
    and one update of the term counts for the lot); how many pages changed.

    Ingest writes a batch of pages at a time; statements per page made the index half of
    its store time."""
    urls = sorted(pages)
    old: dict[str, list[tuple[str, str]]] = {url: [] for url in urls}
    for part in in_lists(urls):
        for url, cid, stored in session.execute(
                select(KeywordChunkRow.url, KeywordChunkRow.id, KeywordChunkRow.terms)
                .where(KeywordChunkRow.url.in_(part))):
            old[url].append((cid, stored))
    changed = [url for url in urls if not old[url] or _stale(old[url], pages[url])]
    if not changed:
        return 0
    delta: Counter[str] = Counter()
    rows = []
    for url in changed:
        for _, stored in old[url]:
            delta.subtract(set(stored.split()))
        for chunk in pages[url]:
            analysed = chunk_terms(chunk)
            delta.update(set(analysed))
            rows.append({
                "id": chunk.id, "url": chunk.url, "position": chunk.position,
                "host": (urlparse(chunk.url).hostname or "").lower(),
                "headings": " > ".join(chunk.heading_path).lower(), "text": chunk.text,
                "meta": json.dumps(chunk.metadata()), "terms": " ".join(analysed)})
    stale = [url for url in changed if old[url]]
    for part in in_lists(stale):
        session.execute(delete(KeywordChunkRow).where(KeywordChunkRow.url.in_(part)))
    if rows:
        session.execute(insert(KeywordChunkRow), rows)
    _apply(session, delta)
    return len(changed)


def _stale(indexed: list[tuple[str, str]], chunks: Sequence[IndexedChunk]) -> bool:
    """Whether a page's index rows are not those of `chunks`: other chunks, or the same
    chunks analysed by an older analyser (so `careerqa keywords build` re-indexes them)."""
    if {cid for cid, _ in indexed} != {c.id for c in chunks}:
        return True
    now = {c.id: " ".join(chunk_terms(c)) for c in chunks}
    return any(now[cid] != stored for cid, stored in indexed)


def delete_page(session: Session, url: str) -> int:
    """Remove the page's chunks from the index; how many went."""
    old = session.execute(select(KeywordChunkRow.terms).where(KeywordChunkRow.url == url))
    delta: Counter[str] = Counter()
    n = 0
    for (stored,) in old:
        delta.subtract(set(stored.split()))
        n += 1
    if n:
        session.execute(delete(KeywordChunkRow).where(KeywordChunkRow.url == url))
        _apply(session, delta)
    return n


def _apply(session: Session, delta: Counter[str]) -> None:
    """Add `delta` to the terms' document counts (one statement; sorted, so that two
    writers lock rows in the same order), then drop the terms no chunk holds any more."""
    changes = sorted((t, d) for t, d in delta.items() if d)
    if not changes:
        return
    if _dialect(session) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    # One statement executed with many parameter sets: SQLAlchemy compiles it once and
    # batches the rows itself, where a multi-row VALUES of a new length each time was
    # compiled anew (half of an ingest's store time).
    statement = upsert(KeywordTermRow)
    statement = statement.on_conflict_do_update(
        index_elements=["term"], set_={"docs": KeywordTermRow.docs + statement.excluded.docs})
    session.execute(statement, [{"term": t, "docs": d} for t, d in changes])
    gone = [t for t, d in changes if d < 0]
    for part in in_lists(gone):
        session.execute(delete(KeywordTermRow).where(
            KeywordTermRow.term.in_(part), KeywordTermRow.docs <= 0))


# --- reading


def chunk_count(connection: SqlConnection) -> int:
    return int(connection.execute(select(func.count()).select_from(KeywordChunkRow)).scalar()
               or 0)


def doc_freqs(connection: SqlConnection, wanted: Iterable[str]) -> dict[str, int]:
    """Chunks holding each of `wanted` (terms no chunk holds are left out)."""
    wanted = sorted(set(wanted))
    if not wanted:
        return {}
    rows = connection.execute(select(KeywordTermRow.term, KeywordTermRow.docs)
                              .where(KeywordTermRow.term.in_(wanted)))
    return {term: int(docs) for term, docs in rows if docs > 0}


def search(connection: SqlConnection, query_terms: Sequence[str], n: int,
           filters: KeywordFilters | None = None,
           idf: dict[str, float] | None = None) -> list[tuple[Found, float]]:
    """The n best chunks holding any of the terms, best first, with their scores.

    SQLite: FTS5's bm25() (k1 1.2, b 0.75). PostgreSQL: the sum over query terms of
    idf(term) * ts_rank(chunk, term, 1) (normalisation 1 divides by 1 + log(length));
    `idf` gives the weights (terms missing from it are not searched).
    """
    unique = sorted(set(query_terms))
    if not unique or n <= 0:
        return []
    where, params = _filter_sql(filters)
    params["n"] = n
    if _dialect(connection) == "postgresql":
        weights = idf if idf is not None else {t: 1.0 for t in unique}
        unique = [t for t in unique if t in weights]
        if not unique:
            return []
        score, queries = [], []
        for i, term in enumerate(unique):
            params[f"w{i}"] = float(weights[term])
            params[f"t{i}"] = _pg_quote(term)
            queries.append(f"to_tsquery('simple', :t{i}) AS q{i}")
            score.append(f":w{i} * ts_rank(c.tsv, qs.q{i}, 1)")
        params["q"] = " | ".join(_pg_quote(t) for t in unique)
        # The per-term queries are parsed once (the sub-select), not once per row.
        sql = (f"SELECT c.id, c.text, c.meta, {' + '.join(score)} AS score "
               f"FROM keyword_chunks c, (SELECT {', '.join(queries)}) qs "
               f"WHERE c.tsv @@ to_tsquery('simple', :q){where} "
               "ORDER BY score DESC, c.row LIMIT :n")
        rows = connection.execute(text(sql), params)
    else:
        params["q"] = " OR ".join(f'"{t}"' for t in unique)
        sql = ("SELECT c.id, c.text, c.meta, -keyword_fts.rank AS score FROM keyword_fts "
               "JOIN keyword_chunks c ON c.row = keyword_fts.rowid "
               f"WHERE keyword_fts MATCH :q{where} ORDER BY keyword_fts.rank LIMIT :n")
        rows = connection.execute(text(sql), params)
    return [((cid, body, json.loads(meta)), float(score))
            for cid, body, meta, score in rows if score > 0]


def article(connection: SqlConnection, url: str) -> list[Found]:
    """A page's indexed chunks in reading order."""
    rows = connection.execute(select(KeywordChunkRow.id, KeywordChunkRow.text,
                                     KeywordChunkRow.meta)
                              .where(KeywordChunkRow.url == url)
                              .order_by(KeywordChunkRow.position))
    return [(cid, body, json.loads(meta)) for cid, body, meta in rows]


def all_chunks(connection: SqlConnection, page: int = 5000) -> Iterator[Found]:
    """Every indexed chunk, in pages of `page` rows (the sentence warm-up reads them)."""
    after = 0
    while True:
        rows = connection.execute(select(KeywordChunkRow.row, KeywordChunkRow.id,
                                         KeywordChunkRow.text, KeywordChunkRow.meta)
                                  .where(KeywordChunkRow.row > after)
                                  .order_by(KeywordChunkRow.row).limit(page)).all()
        for _, cid, body, meta in rows:
            yield cid, body, json.loads(meta)
        if len(rows) < page:
            return
        after = rows[-1][0]


def indexed_urls(connection: SqlConnection) -> dict[str, set[str]]:
    """url -> the chunk ids indexed for it (the backfill compares them with the store)."""
    out: dict[str, set[str]] = {}
    for url, cid in connection.execute(select(KeywordChunkRow.url, KeywordChunkRow.id)):
        out.setdefault(url, set()).add(cid)
    return out


def idf(n: int, docs: int) -> float:
    """BM25's (Lucene's) inverse document frequency, always positive."""
    return math.log(1 + (n - docs + 0.5) / (docs + 0.5))


def _filter_sql(filters: KeywordFilters | None) -> tuple[str, dict[str, object]]:
    if filters is None:
        return "", {}
    clauses, params = [], {}
    if filters.site:
        site = filters.site.lower().strip()
        params["site"], params["dotsite"] = site, "%." + _like(site)
        clauses.append("(c.host = :site OR c.host LIKE :dotsite ESCAPE '\\')")
    if filters.url_prefix:  # not LIKE: SQLite's LIKE ignores case, a URL prefix must not
        params["prefix"], params["plen"] = filters.url_prefix, len(filters.url_prefix)
        clauses.append("substr(c.url, 1, :plen) = :prefix")
    if filters.heading:
        params["heading"] = "%" + _like(filters.heading.lower()) + "%"
        clauses.append("c.headings LIKE :heading ESCAPE '\\'")
    return "".join(" AND " + c for c in clauses), params


def _dialect(connection: SqlConnection) -> str:
    if isinstance(connection, Connection):
        return connection.dialect.name
    return connection.get_bind().dialect.name


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _pg_quote(term: str) -> str:
    """A term as a tsquery operand: quoted, so "3.5" or "c" is one lexeme, never syntax."""
    return "'" + term.replace("'", "''") + "'"
