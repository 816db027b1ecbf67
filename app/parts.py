"""The parts a running service is made of, built once in the app's lifespan."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.answer.sentence_cache import SentenceCache, SentenceWarmer
from app.answer.vectors import QuoteVectors
from app.check import CitationChecker
from app.feedback import FeedbackStore
from app.llm import OpenAIChat
from app.service import AskService
from core.settings import SAMPLE_SITE_DIR, Settings
from ingest.embed import Embedder, embedder_from_settings
from ingest.sources import LocalPath, SourceSpec
from ingest.state import IngestState
from ingest.store import ChromaStore

log = logging.getLogger("careerqa")

# Where the app serves the bundled sample site, so that citations of it resolve.
SAMPLE_MOUNT = "/sample"


@dataclass
class Parts:
    """Everything a request may need, built once per app."""

    settings: Settings
    embedder: Embedder
    store: ChromaStore
    state: IngestState
    feedback: FeedbackStore
    service: AskService
    checker: CitationChecker
    sentences: SentenceCache
    warmer: SentenceWarmer | None = None
    ingest_lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        if self.warmer is not None:
            self.warmer.start()

    def refresh(self) -> None:
        """After an ingest or a deletion: rebuild the lexical index, embed new sentences."""
        self.service.refresh()
        if self.warmer is not None:
            self.warmer.kick()

    def close(self) -> None:
        if self.warmer is not None:
            self.warmer.stop()
        self.sentences.close()
        self.feedback.close()
        self.state.close()


def build_parts(settings: Settings, embedder: Embedder | None = None) -> Parts:
    """Create the model, store and answering parts; ingest the sample corpus on first start."""
    # The store first: an unreachable Chroma server fails in a moment, not after the model loads.
    store = ChromaStore.from_settings(settings)
    embedder = embedder or embedder_from_settings(settings)
    state = IngestState(settings.state_db)
    if store.count() == 0 and settings.ingest_sample_on_start:
        ingest_sample(settings, embedder, store, state)
    llm = OpenAIChat.from_settings(settings) if settings.llm_base_url else None
    checker = CitationChecker.from_settings(settings, embedder, llm)
    sentences = SentenceCache(settings.sentence_db, embedder.name, embedder.dim)
    vectors = QuoteVectors(embedder, disk=sentences)
    service = AskService(settings, store, embedder, checker, llm=llm, vectors=vectors)
    warmer = (SentenceWarmer(sentences, embedder, service.retriever.chunks)
              if settings.sentence_warmup else None)
    return Parts(settings, embedder, store, state, FeedbackStore(settings.feedback_db),
                 service, checker, sentences, warmer)


def sample_site_specs(site: Path, base_url: str) -> list[SourceSpec]:
    """The bundled corpus's published sections, with the URLs this app serves them under.

    Drafts (robots-disallowed on the site) and the syndicated copy are left out, as a
    sitemap ingest of the served site would leave them out.
    """
    return [LocalPath(path=site / section, base_url=f"{base_url}{section}/")
            for section in ("articles", "case-studies")]


def ingest_sample(settings: Settings, embedder: Embedder, store: ChromaStore,
                  state: IngestState) -> None:
    """First start: ingest the bundled articles, served by this app under /sample/."""
    from ingest.pipeline import Ingestor

    log.info("store is empty: ingesting the bundled sample corpus")
    started = time.perf_counter()
    base = settings.public_url.rstrip("/") + SAMPLE_MOUNT + "/"
    summary = Ingestor(settings, embedder, store, state, progress=False).run(
        sample_site_specs(SAMPLE_SITE_DIR, base)
    )
    log.info("sample corpus ingested: %d pages, %d chunks in %.1f s",
             summary.stored, summary.chunks_added, time.perf_counter() - started)


