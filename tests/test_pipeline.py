"""The whole ingest, over real HTTP into a real Chroma store with the real model."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from core.settings import SAMPLE_SITE_DIR
from ingest.pipeline import Ingestor
from ingest.sources import Crawl, LocalPath, Sitemap, UrlList
from ingest.state import IngestState
from ingest.store import ChromaStore
from tests.conftest import LOCAL_FETCH_ENV, make_settings

ARTICLE = "articles/ownership-of-outcomes.html"


class CountingEmbedder:
    """The real model, counting what it is asked to embed (to prove skips skip)."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.texts = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed(texts)


@pytest.fixture
def ingest(settings, embedder):
    """An ingestor over a fresh store; returns (run, store, state, counting embedder)."""
    counting = CountingEmbedder(embedder)
    store = ChromaStore.from_settings(settings)
    state = IngestState.from_settings(settings)
    ingestor = Ingestor(settings, counting, store, state, progress=False)
    yield ingestor, store, state, counting
    state.close()


def chunk_ids(store: ChromaStore) -> dict[str, set[str]]:
    by_url: dict[str, set[str]] = {}
    for chunk in store.all_chunks():
        by_url.setdefault(chunk.url, set()).add(chunk.id)
    return by_url


def test_sitemap_ingest_stores_every_article_and_obeys_robots(sample_site, ingest):
    ingestor, store, state, _ = ingest
    summary = ingestor.run([Sitemap(url=sample_site.url_for("sitemap.xml")),
                            UrlList(urls=[sample_site.url_for("drafts/unpublished-salary-negotiation.html")])])

    assert summary.stored == 25  # 14 articles + 10 case studies + the home page
    assert not summary.failed
    urls = set(chunk_ids(store))
    assert sample_site.url_for(ARTICLE) in urls
    assert sample_site.url_for("case-studies/binary-size-automation.html") in urls
    # robots.txt disallows /drafts/: never requested, recorded as disallowed
    assert sample_site.hits["/drafts/unpublished-salary-negotiation.html"] == 0
    draft = state.get(sample_site.url_for("drafts/unpublished-salary-negotiation.html"))
    assert draft is not None and draft.status == "disallowed"
    assert not any("DRAFT-DO-NOT-INDEX" in c.text for c in store.all_chunks())
    decisions = {row["decision"] for row in state.log_entries(limit=500)}
    assert {"fetched", "stored", "disallowed"} <= decisions


def test_chunks_carry_metadata_and_exact_offsets(sample_site, ingest):
    ingestor, store, state, _ = ingest
    ingestor.run([UrlList(urls=[sample_site.url_for(ARTICLE)])])
    chunks = sorted(store.all_chunks(), key=lambda c: c.position)
    page = state.get(sample_site.url_for(ARTICLE))
    assert page is not None and page.chunk_count == len(chunks) > 2
    first = chunks[0]
    assert first.title == "Owning Outcomes, Not Tickets"
    assert first.author == "Priya Raman" and first.published == "2025-03-11"
    assert first.heading_path[0] == "Owning Outcomes, Not Tickets"
    assert all(c.doc_hash == page.doc_hash and c.fetched_at for c in chunks)
    assert any(len(c.heading_path) >= 2 for c in chunks)
    assert [c.position for c in chunks] == list(range(len(chunks)))


def test_chunks_are_embedded_with_their_title_and_headings(settings, embedder, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "ownership.html").write_bytes((SAMPLE_SITE_DIR / ARTICLE).read_bytes())
    embedded: list[str] = []

    class Recording:
        name, dim = embedder.name, embedder.dim

        def embed(self, texts: list[str]) -> np.ndarray:
            embedded.extend(texts)
            return embedder.embed(texts)

    store = ChromaStore.from_settings(settings)
    state = IngestState.from_settings(settings)
    Ingestor(settings, Recording(), store, state, progress=False).run(
        [LocalPath(path=site, base_url="https://blog.example/")])
    state.close()
    chunks = store.all_chunks()
    assert sorted(embedded) == sorted(c.embedding_text() for c in chunks)
    loop = next(c for c in chunks if c.heading_path[1:] == ("Close the loop",))
    assert loop.embedding_text() == f"Owning Outcomes, Not Tickets > Close the loop\n\n{loop.text}"
    assert loop.text.startswith("Closing the loop means")  # the stored text is the text alone


def test_reingest_of_unchanged_site_embeds_nothing(sample_site, ingest):
    ingestor, store, _, counting = ingest
    specs = [Sitemap(url=sample_site.url_for("sitemap.xml"))]
    ingestor.run(specs)
    before = chunk_ids(store)
    embedded = counting.texts

    summary = ingestor.run(specs)

    assert counting.texts == embedded  # nothing re-embedded
    assert summary.stored == 0 and summary.unchanged == 25
    assert summary.chunks_added == 0 and summary.chunks_removed == 0
    assert chunk_ids(store) == before


def test_changed_page_replaces_exactly_its_chunks(sample_site, site_copy, ingest):
    ingestor, store, _, _ = ingest
    specs = [Sitemap(url=sample_site.url_for("sitemap.xml"))]
    ingestor.run(specs)
    before = chunk_ids(store)
    page = site_copy / ARTICLE
    html = page.read_text(encoding="utf-8")
    closing = ("<p>A brand new closing paragraph says that owners write a short "
               "retrospective within a week of every launch.</p>")
    changed = html.replace("</article>", closing + "</article>")
    sample_site.write(ARTICLE, changed)

    summary = ingestor.run(specs)

    after = chunk_ids(store)
    url = sample_site.url_for(ARTICLE)
    assert summary.stored == 1 and summary.unchanged == 24
    assert after[url] != before[url]
    assert summary.chunks_removed == len(before[url] - after[url])
    assert {u: ids for u, ids in after.items() if u != url} == {
        u: ids for u, ids in before.items() if u != url}
    assert any("retrospective within a week" in c.text for c in store.all_chunks())


def test_prune_removes_pages_that_vanished_from_the_sitemap(sample_site, site_copy, ingest):
    ingestor, store, state, _ = ingest
    specs = [Sitemap(url=sample_site.url_for("sitemap.xml"))]
    ingestor.run(specs)
    sitemap = site_copy / "sitemap-articles.xml"
    gone = "articles/technical-depth.html"
    lines = [ln for ln in sitemap.read_text().splitlines() if gone not in ln]
    sample_site.write("sitemap-articles.xml", "\n".join(lines))
    (site_copy / gone).unlink()

    kept = ingestor.run(specs)  # without --prune nothing is removed
    assert sample_site.url_for(gone) in chunk_ids(store) and not kept.pruned

    summary = ingestor.run(specs, prune=True)

    assert summary.pruned == [sample_site.url_for(gone)]
    assert sample_site.url_for(gone) not in chunk_ids(store)
    assert state.get(sample_site.url_for(gone)) is None
    assert len(chunk_ids(store)) == 24


def test_recrawl_with_prune_follows_remembered_links_and_keeps_every_page(sample_site, ingest):
    """Unchanged pages answer 304 without a body; the crawl goes on through the links they
    had when last read, so a prune after it removes nothing that is still linked."""
    ingestor, store, _, counting = ingest
    specs = [Crawl(sample_site.url_for("index.html"), max_depth=2)]
    first = ingestor.run(specs)
    before = chunk_ids(store)
    embedded = counting.texts
    assert first.stored >= 20

    summary = ingestor.run(specs, prune=True)

    assert summary.pruned == [] and summary.chunks_removed == 0
    assert summary.stored == 0 and summary.unchanged == first.stored
    assert chunk_ids(store) == before
    assert counting.texts == embedded  # nothing re-embedded


def test_bad_pages_are_recorded_with_reasons_while_the_rest_goes_on(sample_site, tmp_path,
                                                                     embedder):
    settings = make_settings(tmp_path / "data", fetch_max_bytes=1_000_000, fetch_timeout=1.0)
    store = ChromaStore.from_settings(settings)
    state = IngestState.from_settings(settings)
    ingestor = Ingestor(settings, embedder, store, state, progress=False)
    bad = ["/bad/404", "/bad/500", "/bad/slow", "/bad/huge", "/bad/pdf", "/bad/invalid-utf8"]
    good = [ARTICLE, "/bad/429", "articles/technical-depth.html"]
    summary = ingestor.run([UrlList(urls=[sample_site.url_for(p) for p in bad + good])])

    reasons = {url.removeprefix(sample_site.url): why.split(":")[0]
               for url, why in summary.failed.items()}
    assert reasons == {"/bad/404": "http_404", "/bad/500": "http_500", "/bad/slow": "timeout",
                       "/bad/huge": "too_large", "/bad/pdf": "not_html",
                       "/bad/invalid-utf8": "invalid_encoding",
                       # fetched on the retry after Retry-After, but too short to be an article
                       "/bad/429": "no_content"}
    assert sample_site.hits["/bad/429"] == 2
    assert summary.stored == 2
    failed = state.get(sample_site.url_for("/bad/404"))
    assert failed is not None and failed.status == "failed" and failed.reason == "http_404"
    assert sample_site.url_for(ARTICLE) in chunk_ids(store)


def test_exact_duplicates_are_stored_once_and_near_duplicates_reported(
        sample_site, site_copy, ingest):
    ingestor, store, state, _ = ingest
    sample_site.write("mirror/ownership.html", (site_copy / ARTICLE).read_bytes())
    urls = [ARTICLE, "mirror/ownership.html", "articles/building-trust.html",
            "syndicated/building-trust-repost.html"]
    summary = ingestor.run([UrlList(urls=[sample_site.url_for(u) for u in urls])])

    stored = chunk_ids(store)
    assert sample_site.url_for(ARTICLE) in stored
    assert sample_site.url_for("mirror/ownership.html") not in stored
    dup = state.get(sample_site.url_for("mirror/ownership.html"))
    assert dup is not None and dup.duplicate_of == sample_site.url_for(ARTICLE)
    assert summary.duplicates == 1
    near = {(u, o) for u, o, _ in summary.near_duplicates}
    pair = {sample_site.url_for("syndicated/building-trust-repost.html"),
            sample_site.url_for("articles/building-trust.html")}
    assert any({u, o} == pair for u, o in near)


def test_local_markdown_folder_is_ingested_with_heading_paths(tmp_path, ingest):
    ingestor, store, _, _ = ingest
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "staff.md").write_text(
        "# Staff notes\n\nIntro paragraph about the staff role and its many hats for teams.\n\n"
        "## Writing\n\nStaff engineers write design documents before large projects begin. "
        "They share drafts early so that reviewers can shape the direction.\n\n"
        "- Keep a decision log.\n- Name the non-goals.\n", encoding="utf-8")
    summary = ingestor.run([LocalPath(path=notes, base_url="https://notes.example/")])

    assert summary.stored == 1
    chunks = store.all_chunks()
    assert {c.url for c in chunks} == {"https://notes.example/staff.md"}
    writing = [c for c in chunks if "design documents" in c.text]
    assert writing and writing[0].heading_path == ("Staff notes", "Writing")


def _stored_count(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute("SELECT count(*) FROM pages WHERE status='stored'").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


@pytest.mark.slow
def test_ingest_killed_half_way_then_rerun_matches_a_clean_run(sample_site, tmp_path, embedder):
    sitemap = sample_site.url_for("sitemap.xml")
    clean = make_settings(tmp_path / "clean")
    clean_state = IngestState.from_settings(clean)
    Ingestor(clean, embedder, ChromaStore.from_settings(clean), clean_state,
             progress=False).run([Sitemap(url=sitemap)])
    clean_state.close()
    expected = chunk_ids(ChromaStore.from_settings(clean))

    data = tmp_path / "killed"
    env = {**os.environ, **LOCAL_FETCH_ENV, "CAREERQA_DATA_DIR": str(data),
           "CAREERQA_CRAWL_HOST_DELAY": "0.15",
           "CAREERQA_EMBEDDING_BATCH_SIZE": "2", "CAREERQA_CRAWL_CONCURRENCY": "2"}
    cmd = [sys.executable, "-m", "app.cli", "ingest", "--sitemap", sitemap]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _stored_count(data / "careerqa.sqlite3") < 5 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 5 <= _stored_count(data / "careerqa.sqlite3") < 25  # really half-way

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr

    resumed = make_settings(data)
    assert chunk_ids(ChromaStore.from_settings(resumed)) == expected


class _KilledAfterStoreWrite(ChromaStore):
    """The real store, with the process "killed" right after a page's chunks are written
    and before the pipeline records them."""

    def __init__(self, inner: ChromaStore) -> None:
        self.__dict__.update(inner.__dict__)

    def replace_documents(self, pages, vectors) -> list[int]:
        super().replace_documents(pages, vectors)
        raise SystemExit("killed between the store write and the state write")


def test_a_page_written_to_the_store_but_never_recorded_is_removed_by_the_next_run(
        sample_site, site_copy, settings, embedder):
    url = sample_site.url_for(ARTICLE)
    store = ChromaStore.from_settings(settings)
    state = IngestState.from_settings(settings)
    killed = Ingestor(settings, embedder, _KilledAfterStoreWrite(store), state, progress=False)
    with pytest.raises(SystemExit):
        killed.run([UrlList(urls=[url])])
    assert store.ids_for(url) and state.get(url) is None  # the crash window

    # The page is gone from its site before the next run, which ingests something else:
    # its orphaned chunks would otherwise answer questions for good.
    (site_copy / ARTICLE).unlink()
    summary = Ingestor(settings, embedder, store, state, progress=False).run(
        [UrlList(urls=[sample_site.url_for("articles/building-trust.html")])])
    assert store.ids_for(url) == set()
    assert summary.stored == 1 and summary.chunks_removed > 0
    assert any(e["decision"] == "reconciled" for e in state.log_entries(url=url))
    state.close()


def test_removing_a_page_indexes_its_recorded_duplicate_at_once(sample_site, site_copy, ingest):
    from ingest.removal import remove_page

    ingestor, store, state, counting = ingest
    mirror = sample_site.url_for("mirror/ownership.html")
    original = sample_site.url_for(ARTICLE)
    sample_site.write("mirror/ownership.html", (site_copy / ARTICLE).read_bytes())
    ingestor.run([UrlList(urls=[original, mirror])])
    before = {c.position: c.text for c in store.document(original)[0]}
    assert state.get(mirror).status == "duplicate" and not store.ids_for(mirror)
    embedded = counting.texts

    removal = remove_page(original, store, state)
    assert removal.promoted == mirror and store.ids_for(original) == set()
    chunks, vectors = store.document(mirror)
    assert {c.position: c.text for c in chunks} == before  # the same text, now under mirror
    assert len(vectors) == len(chunks) and counting.texts == embedded  # nothing re-embedded
    page = state.get(mirror)
    assert page.status == "stored" and page.chunk_count == len(chunks)
    assert state.get(original) is None


class PriorityEmbedder(CountingEmbedder):
    """The real model, noting the priority (nice value) of each thread that calls it."""

    def __init__(self, inner) -> None:
        super().__init__(inner)
        self.nice: set[int] = set()

    def embed(self, texts: list[str]) -> np.ndarray:
        self.nice.add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return super().embed(texts)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_extraction_runs_below_the_model_priority_and_the_model_at_the_callers(
    sample_site, settings, embedder, monkeypatch
):
    """On a CPU machine extraction must not take the model's cores: it runs niced, the
    model at the caller's priority, and the ingest's result is the same."""
    import ingest.pipeline as pipeline

    seen: set[int] = set()
    real_extract = pipeline.extract

    def noting_extract(page):
        seen.add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return real_extract(page)

    monkeypatch.setattr(pipeline, "extract", noting_extract)
    model = PriorityEmbedder(embedder)
    caller = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    if caller >= 19:
        pytest.skip("already at the lowest priority: nothing to lower")
    state = IngestState.from_settings(settings)
    try:
        summary = Ingestor(settings, model, ChromaStore.from_settings(settings), state,
                           progress=False).run([Sitemap(url=sample_site.url_for("sitemap.xml"))])
    finally:
        state.close()
    assert summary.stored == 25 and not summary.failed
    assert model.nice == {caller}
    assert seen and min(seen) > caller
