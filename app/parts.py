"""The parts a running service is made of, built once in the app's lifespan."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.answer.modes import answer_modes
from app.answer.scoring import analyse_ahead
from app.answer.sentence_cache import SentenceCache, SentenceStage, SentenceWarmer
from app.answer.vectors import QuoteVectors
from app.check import CitationChecker
from app.feedback import FeedbackStore
from app.keyword_index import keyword_index_from_settings
from app.llm import OpenAIChat
from app.refresher import GenerationWatcher
from app.sample_urls import STORED_SAMPLE_BASE
from app.service import AskService
from core import jobs
from core.db import Database
from core.settings import SAMPLE_SITE_DIR, Settings
from ingest.embed import Embedder, embedder_from_settings
from ingest.sources import LocalPath, SourceSpec
from ingest.state import IngestState
from ingest.store import ChromaStore
from ingest.worker import Worker

log = logging.getLogger("careerqa")



@dataclass
class Parts:
    """Everything a request may need, built once per app."""

    settings: Settings
    db: Database
    embedder: Embedder
    store: ChromaStore
    state: IngestState
    feedback: FeedbackStore
    service: AskService
    checker: CitationChecker
    sentences: SentenceCache
    warmer: SentenceWarmer | None = None
    worker: Worker | None = None
    watcher: GenerationWatcher = field(init=False)

    def __post_init__(self) -> None:
        self.watcher = GenerationWatcher(self.db, self.rebuild, self.settings.refresh_seconds)

    def start(self) -> None:
        if self.warmer is not None:
            self.warmer.start()
        self.watcher.start()
        if self.worker is not None:
            self.worker.start()

    def rebuild(self) -> None:
        """Rebuild the lexical index and embed new sentences (the watcher calls this)."""
        self.service.refresh()
        if self.warmer is not None:
            self.warmer.kick()

    def finish_queued_ingest(self, timeout: float = 900) -> None:
        """Run the queued ingest jobs here (the first-start sample), or wait for the worker
        thread that holds them: one-shot commands (`careerqa ask`, `careerqa eval`) answer
        from the filled store, not from the empty one the job was queued on."""
        if self.worker is None:
            return
        deadline = time.monotonic() + timeout
        while jobs.active_count(self.db) and time.monotonic() < deadline:
            if self.worker.run_once() is None:
                time.sleep(0.2)  # another thread or process runs it
        self.rebuild()

    def refresh(self) -> None:
        """After a change made here: catch up now rather than at the next poll."""
        self.watcher.check()

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        self.watcher.stop()
        if self.warmer is not None:
            self.warmer.stop()
        self.db.close()


def build_parts(settings: Settings, embedder: Embedder | None = None, *,
                store: ChromaStore | None = None, db: Database | None = None) -> Parts:
    """Create the model, store and answering parts; queue the sample corpus on first start."""
    # The store first: an unreachable Chroma server fails in a moment, not after the model loads.
    store = store or ChromaStore.from_settings(settings)
    db = db or Database.from_settings(settings)
    embedder = embedder or embedder_from_settings(settings)
    state = IngestState(db)
    if store.count() == 0 and settings.ingest_sample_on_start:
        queue_sample(settings, db)
    llm = OpenAIChat.from_settings(settings) if settings.llm_base_url else None
    checker = CitationChecker.from_settings(settings, embedder, llm)
    sentences = SentenceCache(db, embedder.name, embedder.dim)
    vectors = QuoteVectors(embedder, disk=sentences)
    keywords = keyword_index_from_settings(settings, store, db)
    service = AskService(settings, store, embedder, checker,
                         modes=answer_modes(settings, embedder, llm, vectors), keywords=keywords)
    # The warm-up reads every chunk after each change; with the database keyword index
    # nothing may (the ingest worker embeds each batch's sentences instead).
    warm = settings.sentence_warmup and settings.keyword_index == "memory"
    warmer = SentenceWarmer(sentences, embedder, service.retriever.chunks,
                            prepare=analyse_ahead) if warm else None
    parts = Parts(settings, db, embedder, store, state, FeedbackStore(db), service, checker,
                  sentences, warmer)
    if settings.worker_in_process:
        stage = SentenceStage(sentences, embedder) if settings.sentence_vectors_at_ingest else None
        parts.worker = Worker(settings, embedder, store, state, on_change=parts.refresh,
                              after_store=stage)
    return parts


def sample_site_specs(site: Path, base_url: str) -> list[SourceSpec]:
    """The bundled corpus's published sections, with the URLs this app serves them under.

    Drafts (robots-disallowed on the site) and the syndicated copy are left out, as a
    sitemap ingest of the served site would leave them out.
    """
    return [LocalPath(path=site / section, base_url=f"{base_url}{section}/")
            for section in _SAMPLE_SECTIONS]


_SAMPLE_SECTIONS = ("articles", "case-studies")


def ingest_sample(settings: Settings, embedder: Embedder, store: ChromaStore,
                  state: IngestState) -> None:
    """Ingest the bundled articles here and now (benchmarks build their stores with it).

    They are stored under the fixed `STORED_SAMPLE_BASE`; answers publish them under the
    current public URL (`app.sample_urls`)."""
    from ingest.pipeline import Ingestor

    summary = Ingestor(settings, embedder, store, state, progress=False).run(
        sample_site_specs(SAMPLE_SITE_DIR, STORED_SAMPLE_BASE))
    log.info("sample corpus ingested: %d pages, %d chunks", summary.stored, summary.chunks_added)


def queue_sample(settings: Settings, db: Database) -> jobs.Job:
    """First start: queue an ingest of the bundled articles, served by this app under
    /sample/. Replicas starting together on an empty store join one job."""
    base = STORED_SAMPLE_BASE
    sources = [{"local": {"path": str(SAMPLE_SITE_DIR / section),
                          "base_url": f"{base}{section}/"}} for section in _SAMPLE_SECTIONS]
    job, created = jobs.enqueue(db, {"sources": sources, "prune": False})
    log.info("store is empty: %s the sample corpus ingest (job %d)",
             "queued" if created else "joined", job.id)
    return job
