"""`careerqa bench warmup`: sentence warm-up over a store of distinct sentences vs the raw model.

A fresh service embeds every stored sentence ahead of questions (app.answer.sentence_cache).
How long that takes, and how much memory it holds, depends on how many *distinct*
sentences the store has, so the store here has only distinct ones: the real sentences of
the sample corpus and ../shared/corpora (read in place), then, once those run out, new
sentences spliced from the first half of one real sentence and the second half of
another, so lengths and vocabulary stay those of real text. Chunks hold seven or eight
consecutive sentences, as the ingest's 220-word chunks do on these corpora.

Warm-up reads only the chunks' text, so the chunks are stored with random unit vectors
rather than embedded (that would take longer than the warm-up itself); the store is for
this bench only and answers no questions. The raw baseline is the same embedder on a
random sample of the same sentences, in one call (the model sorts them by length, its
best case), on a thread of its own as the warm-up runs on one, timed before and after
the warm-up so that a change of load falls on both.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from core.settings import Settings
from eval.bench_texts import load_documents, paragraphs_of_distinct_sentences, source_note
from ingest.embed import Embedder, embedder_from_settings
from ingest.records import Chunk, chunk_id, content_hash

_SENTENCES_PER_CHUNK = (7, 8)
_FETCHED_AT = "2026-01-01T00:00:00+00:00"
_BASE = "https://bench.invalid/warmup/"


def distinct_sentences(count: int, seed: int = 5) -> tuple[list[str], int, str]:
    """`count` distinct sentences, the real ones first; also how many are real, and whence."""
    text = load_documents()
    real = [s for p in paragraphs_of_distinct_sentences(text) for s in p.sentences]
    out = real[:count]
    seen = set(out)
    rng = random.Random(seed)
    while len(out) < count:
        first, second = rng.choice(real).split(), rng.choice(real).split()
        spliced = " ".join(first[: len(first) // 2] + second[len(second) // 2 :])
        if spliced not in seen:
            seen.add(spliced)
            out.append(spliced)
    return out, min(len(real), count), source_note(text)


def warmup_chunks(chunks: int, seed: int = 5) -> tuple[list[Chunk], int, str]:
    """`chunks` chunks of consecutive distinct sentences, ten chunks to a page."""
    per_chunk = statistics.mean(_SENTENCES_PER_CHUNK)
    sentences, real, source = distinct_sentences(int(chunks * per_chunk) + 16, seed)
    rng = random.Random(seed)
    out: list[Chunk] = []
    taken = 0
    for n in range(chunks):
        group = sentences[taken : taken + rng.choice(_SENTENCES_PER_CHUNK)]
        taken += len(group)
        text = " ".join(group)
        url = f"{_BASE}page-{n // 10:05d}.html"
        doc_hash = content_hash(url)
        out.append(Chunk(id=chunk_id(url, doc_hash, n % 10), text=text, url=url,
                         title=f"Warm-up page {n // 10}", heading_path=(f"Part {n % 10}",),
                         position=n % 10, start=0, end=len(text), doc_hash=doc_hash,
                         fetched_at=_FETCHED_AT))
    return out, real, source


def _store(settings: Settings, chunks: list[Chunk], dim: int) -> None:
    """Write the chunks with random unit vectors, in Chroma's largest batches."""
    from eval.bench_query import open_collection
    from ingest.store import ChromaStore

    ChromaStore.from_settings(settings)  # creates the collection as the service expects it
    client, collection = open_collection(settings)
    rng = np.random.default_rng(0)
    batch = client.get_max_batch_size()
    for i in range(0, len(chunks), batch):
        part = chunks[i : i + batch]
        vectors = rng.standard_normal((len(part), dim)).astype(np.float32)
        collection.add(ids=[c.id for c in part], documents=[c.text for c in part],
                       metadatas=[c.metadata() for c in part],
                       embeddings=vectors / np.linalg.norm(vectors, axis=1)[:, None])


def _raw_rate(embedder: Embedder, sentences: list[str]) -> float:
    """Sentences/s of the embedder on `sentences` in one call, on a thread of its own."""
    seconds: list[float] = []

    def work() -> None:
        started = time.perf_counter()
        embedder.embed(sentences)
        seconds.append(time.perf_counter() - started)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return len(sentences) / seconds[0]


def _rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (or its peak, VmHWM) in MB, from /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def run(chunks: int = 10_000, raw_sample: int = 1_000, settings: Settings | None = None,
        out: Path | None = None) -> dict[str, Any]:
    """Build the store, start the service on it, time its warm-up and the raw model."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    base = settings or Settings()
    work = Path(tempfile.mkdtemp(prefix="careerqa-warmup-"))
    settings = base.model_copy(update={
        "data_dir": work, "chroma_url": None, "ingest_sample_on_start": False,
        "sentence_warmup": True, "start_in_background": False, "database_url": None})
    try:
        embedder = embedder_from_settings(settings)
        embedder.embed(["warm up the model"] * 8)
        records, real, source = warmup_chunks(chunks)
        _store(settings, records, embedder.dim)
        from app.answer.sentence_cache import chunk_sentences

        sentences = chunk_sentences(records)
        sample = random.Random(3).sample(sentences, min(raw_sample, len(sentences)))
        loads = [os.getloadavg()[0]]
        raw = [_raw_rate(embedder, sample)]
        rss_before = _rss_mb()
        started = time.perf_counter()
        peak = rss_before
        with TestClient(create_app(settings, embedder=embedder)) as client:
            ready = time.perf_counter() - started
            while True:
                status = client.get("/readyz").json().get("sentence_warmup") or {"idle": True}
                peak = max(peak, _rss_mb())
                if status["idle"]:
                    break
                time.sleep(0.5)
            warmed = time.perf_counter() - started
            rss_after = _rss_mb()
        loads.append(os.getloadavg()[0])
        raw.append(_raw_rate(embedder, sample))
        loads.append(os.getloadavg()[0])
        warm_seconds = warmed - ready
        rate = status.get("total", len(sentences)) / warm_seconds
        result = {
            "chunks": len(records),
            "sentences": len(sentences),
            "real_sentences": real,
            "text": source,
            "embedder": {"name": embedder.name, "backend": settings.embedding_backend,
                         "batch_size": settings.embedding_batch_size,
                         "threads": settings.model_threads},
            "load_average_1min": [round(x, 2) for x in loads],
            "seconds_to_ready": round(ready, 1),
            "warmup_seconds": round(warm_seconds, 1),
            "seconds_to_warm": round(warmed, 1),
            "warmup_sentences_per_second": round(rate, 1),
            "raw_sentences_per_second": [round(r, 1) for r in raw],
            "warmup_share_of_raw": round(rate / statistics.mean(raw), 3),
            "rss_mb": {"before_start": round(rss_before), "peak_during_warmup": round(peak),
                       "after_warmup": round(rss_after), "process_peak": round(_rss_mb("VmHWM"))},
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if out:
        out.write_text(json.dumps(result, indent=2))
    return result
