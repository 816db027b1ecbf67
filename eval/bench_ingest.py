"""Ingest throughput over a generated site served on localhost, next to the model's raw speed.

The pipeline should hide fetching, extraction, chunking and storing behind the model:
its chunks/s is reported as a share of the model's own chunks/s on the very same chunks,
with the same embedder at the same batch size and threads, measured in the same process
just before and right after (their mean is the baseline, so a change of load during the
ingest falls on both). The site is built at run time from real, distinct sentences of the sample
corpus and ../shared/corpora (eval/bench_texts.py). A second, unchanged re-ingest is
timed too. Each repeat uses a fresh store; medians over repeats are reported.
"""

from __future__ import annotations

import html
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bs4 import BeautifulSoup

from core.settings import SAMPLE_SITE_DIR, Settings
from eval.bench_embed import embed_like_the_pipeline
from eval.bench_texts import (
    BenchText,
    load_documents,
    paragraphs_of_distinct_sentences,
    source_note,
)
from ingest.embed import Embedder, embedder_from_settings
from ingest.pipeline import Ingestor
from ingest.sources import Sitemap
from ingest.state import IngestState
from ingest.store import ChromaStore

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title} | Bench Notes</title>
<meta name="author" content="{author}"><meta property="article:published_time" content="2025-05-01">
</head><body>
<div class="cookie-banner">We use cookies to improve this site. <button>OK</button></div>
<header><nav><a href="/">Home</a> <a href="/about">About</a></nav></header>
<main><article><h1>{title}</h1>{body}</article>
<section class="related"><h2>Related articles</h2>
<ul><li><a href="p1.html">More</a></li></ul></section>
</main><aside class="sidebar"><h3>Popular posts</h3></aside>
<footer>© 2026 Bench Notes</footer><script>window.analytics = true;</script></body></html>"""


def corpus_sentences() -> list[str]:
    """Sentences of the bundled articles (the query bench recombines them into chunks)."""
    sentences = []
    for page in sorted(SAMPLE_SITE_DIR.glob("*/*.html")):
        article = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml").find("article")
        for p in article.find_all("p") if article else []:
            text = " ".join(p.get_text(" ").split())
            sentences += [s.strip() + "." for s in text.split(". ") if len(s.split()) > 5]
    return sentences


def generate_site(root: Path, pages: int | None, text: BenchText, seed: int = 7) -> int:
    """Write a cluttered article site of real, distinct sentences; return its page count.

    Paragraphs of the corpus are dealt out in order, two to four sections of one to three
    paragraphs per page, each sentence used once, so pages read like articles and no two
    share text. `pages` caps the count; the text itself caps it too (about 420 pages
    from the sample corpus and ../shared/corpora).
    """
    rng = random.Random(seed)
    paragraphs = paragraphs_of_distinct_sentences(text)
    urls: list[str] = []
    i = 0
    while paragraphs and (pages is None or len(urls) < pages):
        sections = []
        for _ in range(rng.randint(2, 4)):
            count = rng.randint(1, 3)
            take, paragraphs = paragraphs[:count], paragraphs[count:]
            if not take:
                break
            body = "".join(f"<p>{html.escape(' '.join(p.sentences))}</p>" for p in take)
            sections.append(f"<h2>{html.escape(take[0].heading)}</h2>{body}")
        if not sections:
            break
        (root / f"p{i}.html").write_text(_PAGE.format(
            title=f"Field notes {i}", author="Bench Writer", body="".join(sections)),
            encoding="utf-8")
        urls.append(f"p{i}.html")
        i += 1
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    locs = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + locs + "</urlset>"
    )
    return len(urls)


def _serve(site: Path) -> tuple[subprocess.Popen, int]:
    """Serve the site from a separate process on loopback; return it and its port.

    A real site is served by another machine: a server thread inside the ingesting
    process would take the interpreter lock from the pipeline, which no deployment does
    (it still shares this machine's cores, as the rest of the machine's load does)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", str(site)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, port
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(f"the site server did not start on port {port}") from None
            time.sleep(0.05)


def run(pages: int | None = None, repeats: int = 2, settings: Settings | None = None,
        out: Path | None = None, *, sentence_stage: bool = False) -> dict:
    """Ingest the generated site `repeats` times into fresh stores, each followed by the raw
    model on the same chunks and by an unchanged re-ingest; report medians and ratios.

    With `sentence_stage`, one more ingest into a fresh store runs the worker's
    sentence-vector stage too, and is compared with the first repeat."""
    settings = settings or Settings()
    # The generated site is served on loopback, which ingest refuses unless it is named.
    settings = settings.model_copy(update={"fetch_allow": [*settings.fetch_allow, "127.0.0.1/32"]})
    text = load_documents()
    work = Path(tempfile.mkdtemp(prefix="careerqa-bench-"))
    site = work / "site"
    site.mkdir()
    page_count = generate_site(site, pages, text)
    (site / "warm").mkdir()
    generate_site(site / "warm", 3, text)
    server, port = _serve(site)
    url = f"http://127.0.0.1:{port}/sitemap.xml"
    embedder = embedder_from_settings(settings)
    embedder.embed(["warm up the model"] * 8)
    runs, loads = [], [os.getloadavg()[0]]
    try:
        # Untimed, as the model is warmed up before it is timed: the first ingest of a
        # process also pays for first imports, parser and SQL compilation caches and the
        # first Chroma client, which a worker pays once.
        _fresh_ingest(settings, embedder, f"http://127.0.0.1:{port}/warm/sitemap.xml",
                      work / "warm")
        expected = _site_chunk_texts(site, settings)
        for n in range(repeats):
            runs.append(_one_repeat(settings, embedder, url, work / f"data{n}", expected))
            loads.append(os.getloadavg()[0])
        staged = (_fresh_ingest(settings, embedder, url, work / "staged", sentence_stage=True)
                  if sentence_stage else None)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)
    first = runs[0]
    result = {
        "pages": page_count,
        "chunks": first["chunks"],
        "text": source_note(text),
        "embedder": {"name": embedder.name, "batch_size": settings.embedding_batch_size,
                     "threads": settings.model_threads},
        "repeats": repeats,
        "load_average_1min": [round(x, 2) for x in loads],
        "pipeline_chunks_per_second": _median(runs, "pipeline_chunks_per_second"),
        "model_raw_chunks_per_second": _median(runs, "model_raw_chunks_per_second"),
        "pipeline_share_of_model_throughput": _median(runs, "share", 3),
        "shares": [r["share"] for r in runs],
        "model_raw_before_and_after": [r["model_raw_before_and_after"] for r in runs],
        "first_ingest_seconds": _median(runs, "first_ingest_seconds"),
        "stage_seconds": first["stage_seconds"],
        "reingest_speedup": _median(runs, "reingest_speedup", 1),
        "reingest_unchanged": first["reingest_unchanged"],
        "failed": sum(r["failed"] for r in runs),
    }
    if staged is not None:
        result["with_sentence_stage"] = {
            "ingest_seconds": round(staged.wall_seconds, 2),
            "chunks_per_second": round(staged.chunks_added / staged.wall_seconds, 2),
            "share_of_pipeline_alone": round(first["first_ingest_seconds"]
                                             / staged.wall_seconds, 3),
            "stage_seconds": staged.as_dict()["stage_seconds"],
        }
    if out:
        out.write_text(json.dumps(result, indent=2))
    return result


def _fresh_ingest(settings: Settings, embedder: Embedder, url: str, data_dir: Path, *,
                  sentence_stage: bool = False):
    """Ingest the sitemap at `url` into a fresh store in `data_dir`; with `sentence_stage`,
    the worker's sentence-vector stage runs after each stored batch too."""
    from app.answer.sentence_cache import SentenceCache, SentenceStage

    settings = settings.model_copy(update={"data_dir": data_dir})
    state = IngestState.from_settings(settings)
    stage = (SentenceStage(SentenceCache(state.db, embedder.name, embedder.dim), embedder)
             if sentence_stage else None)
    try:
        return Ingestor(settings, embedder, ChromaStore.from_settings(settings), state,
                        progress=False, after_store=stage).run([Sitemap(url=url)])
    finally:
        state.close()


def _site_chunk_texts(site: Path, settings: Settings) -> list[str]:
    """The embedding texts the pipeline will make of the generated pages (read from disk)."""
    from ingest.chunk import chunk_document
    from ingest.errors import ExtractionError
    from ingest.extract import extract
    from ingest.records import Page

    texts = []
    for page in sorted(site.glob("p*.html")):
        try:
            doc = extract(Page(url=f"http://127.0.0.1/{page.name}", body=page.read_bytes()))
        except ExtractionError:
            continue  # too little text: the pipeline skips the page too
        texts += [c.embedding_text() for c in
                  chunk_document(doc, settings.chunk_size, settings.chunk_overlap)]
    return texts


def _one_repeat(settings: Settings, embedder: Embedder, url: str, data_dir: Path,
                expected: list[str]) -> dict:
    """The raw model on the site's chunks, one fresh ingest, the raw model on the chunks it
    stored, then a re-ingest. Raw before and after: a change of load during the ingest
    falls on the baseline too."""
    settings = settings.model_copy(update={"data_dir": data_dir})
    store = ChromaStore.from_settings(settings)
    state = IngestState.from_settings(settings)
    # The raw baseline: the same embedder at the same (best) setting, in the calls of
    # batch_size * 4 texts that the pipeline makes.
    before = len(expected) / embed_like_the_pipeline(embedder, expected,
                                                     settings.embedding_batch_size)
    try:
        ingestor = Ingestor(settings, embedder, store, state, progress=False)
        first = ingestor.run([Sitemap(url=url)])
        texts = [c.embedding_text() for c in store.all_chunks()]  # what the pipeline embedded
        after = len(texts) / embed_like_the_pipeline(embedder, texts,
                                                     settings.embedding_batch_size)
        second = ingestor.run([Sitemap(url=url)])
    finally:
        state.close()
    pipeline_rate = first.chunks_added / first.wall_seconds
    raw = (before + after) / 2
    return {
        "chunks": len(texts),
        "first_ingest_seconds": round(first.wall_seconds, 2),
        "pipeline_chunks_per_second": round(pipeline_rate, 2),
        "model_raw_chunks_per_second": round(raw, 2),
        "model_raw_before_and_after": [round(before, 2), round(after, 2)],
        "share": round(pipeline_rate / raw, 3),
        "stage_seconds": first.as_dict()["stage_seconds"],
        "reingest_speedup": round(first.wall_seconds / second.wall_seconds, 1),
        "reingest_unchanged": second.unchanged,
        "failed": len(first.failed),
    }


def _median(runs: list[dict], key: str, digits: int = 2) -> float:
    return round(statistics.median(r[key] for r in runs), digits)
