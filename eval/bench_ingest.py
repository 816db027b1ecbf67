"""Ingest throughput over a generated site served on localhost, next to the model's raw speed.

The pipeline should hide fetching, extraction, chunking and storing behind the model:
its chunks/s is reported as a share of the model's own chunks/s on the very same chunks,
measured in the same process right after. A second, unchanged re-ingest is timed too.
"""

from __future__ import annotations

import functools
import json
import random
import shutil
import statistics
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bs4 import BeautifulSoup

from core.settings import SAMPLE_SITE_DIR, Settings
from ingest.embed import SentenceTransformerEmbedder
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
    """Sentences of the bundled articles: realistic text to recombine into many pages."""
    sentences = []
    for page in sorted(SAMPLE_SITE_DIR.glob("*/*.html")):
        article = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml").find("article")
        for p in article.find_all("p") if article else []:
            text = " ".join(p.get_text(" ").split())
            sentences += [s.strip() + "." for s in text.split(". ") if len(s.split()) > 5]
    return sentences


def generate_site(root: Path, pages: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    sentences = corpus_sentences()
    urls = []
    for i in range(pages):
        sections = []
        for s in range(rng.randint(2, 4)):
            paragraphs = "".join(
                "<p>" + " ".join(rng.sample(sentences, rng.randint(3, 6))) + "</p>"
                for _ in range(rng.randint(1, 3))
            )
            sections.append(f"<h2>Section {s + 1} of page {i}</h2>{paragraphs}")
        html = _PAGE.format(title=f"Generated article {i}", author="Bench Writer",
                            body="".join(sections))
        (root / f"p{i}.html").write_text(html, encoding="utf-8")
        urls.append(f"p{i}.html")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    locs = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + locs + "</urlset>"
    )


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the bench prints its own report
        pass


def run(pages: int = 2000, out: Path | None = None, *, sentence_stage: bool = False) -> dict:
    """Without `sentence_stage`, the pipeline alone; with it, one more ingest of the same
    site into a fresh store with the worker's sentence-vector stage, compared to the first."""
    work = Path(tempfile.mkdtemp(prefix="careerqa-bench-"))
    site = work / "site"
    site.mkdir()
    generate_site(site, pages)
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/sitemap.xml"
    try:
        settings = Settings(data_dir=work / "data", _env_file=None, crawl_concurrency=8)
        embedder = SentenceTransformerEmbedder(settings.embedding_model,
                                               settings.embedding_batch_size)
        embedder.embed(["warm up the model"] * 8)
        store = ChromaStore.from_settings(settings)
        state = IngestState.from_settings(settings)
        ingestor = Ingestor(settings, embedder, store, state, progress=False)

        first = ingestor.run([Sitemap(url=url)])
        texts = [c.embedding_text() for c in store.all_chunks()]  # what the pipeline embeds
        raw_runs = []
        for _ in range(1):  # one full pass: the same number of chunks as the pipeline
            t0 = time.perf_counter()
            for i in range(0, len(texts), settings.embedding_batch_size * 4):
                embedder.embed(texts[i : i + settings.embedding_batch_size * 4])
            raw_runs.append(time.perf_counter() - t0)
        second = ingestor.run([Sitemap(url=url)])
        state.close()
        staged = _ingest_with_sentence_stage(settings.model_copy(
            update={"data_dir": work / "staged"}), embedder, url) if sentence_stage else None
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)

    raw_seconds = statistics.median(raw_runs)
    result = {
        "pages": pages,
        "chunks": len(texts),
        "first_ingest_seconds": round(first.wall_seconds, 2),
        "pages_per_second": round(first.stored / first.wall_seconds, 2),
        "chunks_per_second": round(first.chunks_added / first.wall_seconds, 2),
        "model_raw_chunks_per_second": round(len(texts) / raw_seconds, 2),
        "pipeline_share_of_model_throughput": round(
            (first.chunks_added / first.wall_seconds) / (len(texts) / raw_seconds), 3),
        "stage_seconds": first.as_dict()["stage_seconds"],
        "reingest_seconds": round(second.wall_seconds, 2),
        "reingest_speedup": round(first.wall_seconds / second.wall_seconds, 1),
        "reingest_unchanged": second.unchanged,
        "failed": len(first.failed),
    }
    if staged is not None:
        result["with_sentence_stage"] = {
            "ingest_seconds": round(staged.wall_seconds, 2),
            "chunks_per_second": round(staged.chunks_added / staged.wall_seconds, 2),
            "share_of_pipeline_alone": round(first.wall_seconds / staged.wall_seconds, 3),
            "stage_seconds": staged.as_dict()["stage_seconds"],
        }
    if out:
        out.write_text(json.dumps(result, indent=2))
    return result


def _ingest_with_sentence_stage(settings: Settings, embedder, url: str):
    from app.answer.sentence_cache import SentenceCache, SentenceStage

    state = IngestState.from_settings(settings)
    stage = SentenceStage(SentenceCache(state.db, embedder.name, embedder.dim), embedder)
    try:
        return Ingestor(settings, embedder, ChromaStore.from_settings(settings), state,
                        progress=False, after_store=stage).run([Sitemap(url=url)])
    finally:
        state.close()
