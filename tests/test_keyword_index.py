"""The database keyword index: written with each page's state, searched by every process.

On a real SQLite file and a real PostgreSQL server: what ingest records (or forgets) is
what a search finds, an edit replaces a page's words, filters apply in SQL; a page
ingested, edited and pruned by another `careerqa ingest` process is seen as it now is; the
service's parts over a filled store start, refresh and answer without reading every chunk;
`careerqa keywords build` indexes a store written before the index existed, idempotently.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.cli import main
from app.keyword_index.database import DatabaseKeywordIndex
from app.models import Filters
from core.db import Database, database_url
from core.terms import terms
from ingest.records import Chunk, chunk_id
from ingest.state import IngestState
from ingest.store import ChromaStore
from tests.conftest import make_settings


def _chunks(url: str, *texts: str, headings: tuple[str, ...] = ("Care",)) -> list[Chunk]:
    doc_hash = uuid.uuid4().hex[:16]
    return [Chunk(id=chunk_id(url, doc_hash, i), text=t, url=url, title="Notes",
                  heading_path=headings, position=i, start=0, end=len(t), doc_hash=doc_hash,
                  fetched_at="2026-01-01") for i, t in enumerate(texts)]


def _record(state: IngestState, url: str, chunks: list[Chunk]) -> None:
    state.begin_write(url, chunks[0].doc_hash)
    state.finish_write(url, chunks, status="stored", doc_hash=chunks[0].doc_hash,
                       chunk_count=len(chunks))


@pytest.fixture
def fresh_postgres(postgres_url) -> Iterator[str]:
    """A database of its own on the session's PostgreSQL server (counts start at zero)."""
    name = f"kw_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path) -> Iterator[Database]:
    if request.param == "sqlite":
        settings = make_settings(tmp_path / "data")
    else:
        settings = make_settings(tmp_path / "data",
                                 database_url=request.getfixturevalue("fresh_postgres"))
    database = Database.from_settings(settings)
    yield database
    database.close()


def test_recorded_pages_are_found_and_an_edit_replaces_their_words(db):
    state = IngestState(db)
    fish = "https://lab.example/fish"
    _record(state, fish, _chunks(fish, "Zebrafish husbandry needs clean water.",
                                 "Feed the zebrafish twice a day."))
    _record(state, "https://lab.example/plants", _chunks(
        "https://lab.example/plants", "Water the ferns weekly.", "Ferns like shade."))
    index = DatabaseKeywordIndex(db)
    assert index.n == 4
    found = index.search(terms("zebrafish water"), 5)
    assert {c.url for c, _ in found} == {fish, "https://lab.example/plants"}
    assert found[0][0].url == fish and all(score > 0 for _, score in found)
    # "zebrafish" is in 2 of 4 chunks, "fern" in 2, "water" in 2: log(2)/log(4) = 0.5
    assert index.specificity(terms("zebrafish")) == pytest.approx(0.5)
    assert [c.position for c in index.article(fish)] == [0, 1]
    assert "zebrafish" in index.vocabulary and "narwhal" not in index.vocabulary

    _record(state, fish, _chunks(fish, "Narwhal tusks are teeth."))  # edited in place
    index = index.refreshed()
    assert index.n == 3
    assert index.search(terms("zebrafish"), 5) == []
    assert "zebrafish" not in index.vocabulary
    assert [c.text for c, _ in index.search(terms("narwhal"), 5)] == ["Narwhal tusks are teeth."]

    state.upsert(fish, status="duplicate", duplicate_of="https://lab.example/other")
    assert DatabaseKeywordIndex(db).search(terms("narwhal"), 5) == []
    state.delete("https://lab.example/plants")
    assert DatabaseKeywordIndex(db).n == 0


def test_filters_apply_in_the_database_as_in_memory(db):
    state = IngestState(db)
    for url, heading in [("https://Docs.Example/Guides/a", "Setup"),
                         ("https://blog.docs.example/b", "Setup > Linux"),
                         ("https://other.example/c", "Intro")]:
        _record(state, url, _chunks(url, "Install the compiler first.", headings=(heading,)))
    index = DatabaseKeywordIndex(db)
    query = terms("install compiler")

    def urls(**filters: str) -> set[str]:
        return {c.url for c, _ in index.search(query, 10, Filters(**filters))}

    assert urls(site="docs.example") == {"https://Docs.Example/Guides/a",
                                         "https://blog.docs.example/b"}
    assert urls(url_prefix="https://Docs.Example/Guides") == {"https://Docs.Example/Guides/a"}
    assert urls(url_prefix="https://docs.example/guides") == set()  # a prefix keeps its case
    assert urls(heading="linux") == {"https://blog.docs.example/b"}
    assert urls(heading="100%") == set()  # LIKE's wildcards are text here


def _write_page(folder: Path, word: str) -> None:
    (folder / "care.md").write_text(
        f"# Tank care\n\nKeeping {word} healthy takes clean water, steady light and a "
        f"weekly check of every {word} in the tank. Change a fifth of the water each week, "
        "test it for ammonia and nitrite before you add anything new, and keep the "
        "temperature within a degree of what the species prefers. A quiet corner away from "
        "the window keeps algae down and the fish calm.\n")


def _ingest(data_dir: Path, folder: Path, *extra: str) -> None:
    env = {**os.environ, "CAREERQA_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1",
           "CAREERQA_TORCH_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "app.cli", "ingest", "--local", str(folder),
                           *extra], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_another_process_ingesting_editing_and_pruning_is_seen_at_once(tmp_path):
    data_dir, folder = tmp_path / "data", tmp_path / "site"
    folder.mkdir()
    db = Database.from_settings(make_settings(data_dir))
    index = DatabaseKeywordIndex(db)
    assert index.search(terms("axolotl"), 5) == []

    _write_page(folder, "axolotls")
    _ingest(data_dir, folder)
    index = index.refreshed()
    assert ["axolotl" in c.text.lower() for c, _ in index.search(terms("axolotl"), 5)] == [True]

    _write_page(folder, "guppies")
    _ingest(data_dir, folder)
    index = index.refreshed()
    assert index.search(terms("axolotl"), 5) == []
    assert len(index.search(terms("guppies"), 5)) == 1

    (folder / "care.md").unlink()
    (folder / "other.md").write_text(
        "# Other\n\nThis page is about bicycles: how to true a wheel, when to replace a "
        "chain before it wears the cassette, and why tyre pressure matters more than the "
        "weight of the frame for most riders on ordinary roads in every season of the year.\n")
    _ingest(data_dir, folder, "--prune")
    index = index.refreshed()
    assert index.search(terms("guppies"), 5) == []
    db.close()


class _StoreWithoutFullReads(ChromaStore):
    """The real store, except that reading every chunk fails the test."""

    def all_chunks(self) -> list[Chunk]:
        raise AssertionError("read every chunk of the store")


def test_the_database_index_answers_from_a_filled_store_without_reading_every_chunk(
        sample_settings, embedder):
    from app.models import AskRequest
    from app.parts import build_parts

    settings = sample_settings.model_copy(update={"keyword_index": "database"})
    store = _StoreWithoutFullReads.from_settings(settings)
    assert store.count() > 100
    parts = build_parts(settings, embedder, store=store)
    try:
        parts.start()
        parts.rebuild()  # what a replica does when the generation moves
        answer = parts.service.ask(AskRequest(
            question="How did the Portal team reduce video call drops?"))
    finally:
        parts.close()
    assert answer.covered and answer.citations
    assert any("portal" in c.url for c in answer.citations)


def test_keywords_build_indexes_an_older_store_once(tmp_path, embedder, capsys, monkeypatch):
    settings = make_settings(tmp_path / "data")
    store = ChromaStore.from_settings(settings)
    pages = {"https://lab.example/a": _chunks("https://lab.example/a", "Axolotls regrow limbs."),
             "https://lab.example/b": _chunks("https://lab.example/b", "Guppies are livebearers.",
                                              "Guppies like warm water.")}
    for url, chunks in pages.items():  # written to the store only, as before the index
        store.replace_document(url, chunks, embedder.embed([c.text for c in chunks]))
    monkeypatch.setenv("CAREERQA_DATA_DIR", str(settings.data_dir))

    def build() -> dict:
        assert main(["keywords", "build", "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    assert build() == {"pages_indexed": 2, "pages_current": 0, "pages_dropped": 0, "chunks": 3}
    db = Database(database_url(settings))
    assert {c.url for c, _ in DatabaseKeywordIndex(db).search(terms("guppies axolotls"), 5)} \
        == set(pages)
    assert build() == {"pages_indexed": 0, "pages_current": 2, "pages_dropped": 0, "chunks": 3}
    store.delete_document("https://lab.example/a")
    assert build() == {"pages_indexed": 0, "pages_current": 1, "pages_dropped": 1, "chunks": 2}
    assert DatabaseKeywordIndex(db).search(terms("axolotls"), 5) == []
    db.close()


def test_in_a_large_index_a_word_most_chunks_hold_is_not_searched_beside_rarer_ones(db):
    from core import keywords

    pages = {f"https://lab.example/{i}": _chunks(
        f"https://lab.example/{i}",
        "Axolotls need cold water." if i < 3 else f"Tank {i} holds fresh water.")
        for i in range(1200)}
    with db.session() as session:
        keywords.replace_pages(session, pages)
    index = DatabaseKeywordIndex(db)
    found = index.search(terms("cold water for axolotls"), 50)
    assert {c.url for c, _ in found} == {f"https://lab.example/{i}" for i in range(3)}
    # Alone, the common word is still searched: a question is never left with no terms.
    assert len(index.search(terms("water"), 50)) == 50


def test_the_database_index_lists_every_chunk_once_across_pages_of_rows(db):
    from core import keywords

    pages = {f"https://lab.example/{i}": _chunks(f"https://lab.example/{i}", f"Tank {i} note.",
                                                 f"Tank {i} again.") for i in range(7)}
    with db.session() as session:
        keywords.replace_pages(session, pages)
    with db.reader() as connection:
        paged = [cid for cid, _, _ in keywords.all_chunks(connection, page=3)]
    expected = {c.id for chunks in pages.values() for c in chunks}
    assert len(paged) == len(expected) == 14 and set(paged) == expected
    listed = list(DatabaseKeywordIndex(db).chunks())
    assert {c.id for c in listed} == expected
    assert {c.text for c in listed if c.url == "https://lab.example/4"} == {"Tank 4 note.",
                                                                           "Tank 4 again."}


def test_one_on_ones_are_one_term_and_build_reindexes_rows_of_an_older_analysis(
        db, monkeypatch):
    # Word by word "one-on-one" is three stopwords: "How do I run a good one-on-one?" kept
    # only "run", and the page about 1:1s was no keyword match for it.
    assert terms("How do I run a good one-on-one?") == ["run", *terms("1:1")]
    assert len({*terms("one-to-ones"), *terms("1-on-1"), *terms("weekly 1:1s")} - {"week"}) == 1
    assert "1" in terms("at 11:15, 1 of 1") and terms("11:15") == ["11", "15"]
    state = IngestState(db)
    url = "https://lab.example/meetings"
    chunks = _chunks(url, "Hold half-hour 1:1s every week with each report.")
    # Indexed by the older analyser, which read "1:1s" as the figures 1 and 1s.
    import core.keywords

    newer = core.keywords.chunk_terms
    monkeypatch.setattr(core.keywords, "chunk_terms",
                        lambda c: terms(c.text.replace("1:1", "1 1")))
    _record(state, url, chunks)
    monkeypatch.setattr(core.keywords, "chunk_terms", newer)
    assert DatabaseKeywordIndex(db).search(terms("one-on-one"), 5) == []
    assert state.index_keywords(url, chunks) is True  # what `careerqa keywords build` does
    assert [c.url for c, _ in DatabaseKeywordIndex(db).search(terms("one-on-one"), 5)] == [url]
    assert state.index_keywords(url, chunks) is False  # and only once
