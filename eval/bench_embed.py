"""The embedding model's throughput by backend, batch size and thread count, on real chunks.

Every configuration embeds the same real-shaped chunks (cut by the ingest chunker from
the sample corpus and ../shared/corpora), in calls of `batch_size * 4` texts as the
ingest pipeline makes them. Configurations run interleaved in a fresh random order each
round, so a burst of load from other processes falls on all of them alike, and each is
reported as its median chunks/s and as a ratio to the round's best. The ONNX backend's
vectors are compared with torch's on the same chunks (mean and lowest cosine).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from core.settings import PROJECT_ROOT, Settings
from eval.bench_texts import load_documents, real_chunks, source_note
from ingest.embed import Embedder, SentenceTransformerEmbedder
from ingest.onnx_embedder import OnnxEmbedder

BATCH_SIZES = (8, 16, 32, 64)
THREADS = (1, 2)
BACKENDS = ("torch", "onnx")
QUESTIONS = PROJECT_ROOT / "eval" / "datasets" / "questions.jsonl"


def embed_like_the_pipeline(embedder: Embedder, texts: list[str], batch_size: int) -> float:
    """Seconds to embed `texts` in the pipeline's calls of `batch_size * 4` texts."""
    started = time.perf_counter()
    step = batch_size * 4
    for i in range(0, len(texts), step):
        embedder.embed(texts[i : i + step])
    return time.perf_counter() - started


def _embedders(backends: tuple[str, ...], threads: tuple[int, ...],
               settings: Settings) -> dict[tuple[str, int], Embedder]:
    out: dict[tuple[str, int], Embedder] = {}
    for n in threads:
        if "torch" in backends:
            out["torch", n] = SentenceTransformerEmbedder(settings.embedding_model, threads=n)
        if "onnx" in backends:
            out["onnx", n] = OnnxEmbedder.built(settings.embedding_model,
                                                settings.onnx_model_dir, threads=n)
    return out


def run(chunks: int = 500, rounds: int = 2, backends: tuple[str, ...] = BACKENDS,
        batch_sizes: tuple[int, ...] = BATCH_SIZES, threads: tuple[int, ...] = THREADS,
        seed: int = 5, out: Path | None = None) -> dict:
    settings = Settings()
    text = load_documents()
    texts = real_chunks(text, chunks)
    embedders = _embedders(backends, threads, settings)
    for embedder in embedders.values():
        embedder.embed(texts[:16])  # first-call allocations stay out of the timings
    configs = [(b, n, size) for (b, n) in embedders for size in batch_sizes]
    rates: dict[tuple, list[float]] = defaultdict(list)
    shares: dict[tuple, list[float]] = defaultdict(list)
    loads = [os.getloadavg()[0]]
    rng = random.Random(seed)
    for _ in range(rounds):
        rng.shuffle(configs)
        this_round = {}
        for backend, n, size in configs:
            embedder = embedders[backend, n]
            embedder.batch_size = size
            this_round[backend, n, size] = len(texts) / embed_like_the_pipeline(
                embedder, texts, size)
        best = max(this_round.values())
        for key, rate in this_round.items():
            rates[key].append(rate)
            shares[key].append(rate / best)
        loads.append(os.getloadavg()[0])
    table = [
        {"backend": b, "threads": n, "batch_size": size,
         "chunks_per_second": round(statistics.median(rates[b, n, size]), 2),
         "share_of_best": round(statistics.median(shares[b, n, size]), 3)}
        for (b, n, size) in sorted(rates)
    ]
    result: dict = {
        "chunks": len(texts),
        "mean_words_per_chunk": round(statistics.mean(len(t.split()) for t in texts), 1),
        "text": source_note(text),
        "rounds": rounds,
        "load_average_1min": [round(x, 2) for x in loads],
        "configs": table,
    }
    for backend in backends:
        mine = [row for row in table if row["backend"] == backend]
        result[f"best_{backend}"] = max(mine, key=lambda row: row["share_of_best"])
    result["one_question_ms"] = _question_latency(embedders)
    if set(backends) == set(BACKENDS):
        result["onnx_vs_torch"] = _compare(embedders, texts, result)
    if out:
        out.write_text(json.dumps(result, indent=2))
    return result


def _question_latency(embedders: dict[tuple[str, int], Embedder]) -> dict[str, float]:
    """Median milliseconds to embed one question alone, as the query path does.

    The sample set's questions, each embedded by every configuration in turn, so load
    from other processes falls on all of them alike.
    """
    from eval.datasets import load_questions

    questions = [c.question for c in load_questions(QUESTIONS)][:50]
    times: dict[str, list[float]] = defaultdict(list)
    for question in questions:
        for (backend, n), embedder in embedders.items():
            started = time.perf_counter()
            embedder.embed([question])
            times[f"{backend}_threads{n}"].append((time.perf_counter() - started) * 1000)
    return {key: round(statistics.median(ms), 2) for key, ms in sorted(times.items())}


def _compare(embedders: dict, texts: list[str], result: dict) -> dict:
    """ONNX's speed-up at each backend's best setting, and how close its vectors are."""
    torch_best, onnx_best = result["best_torch"], result["best_onnx"]
    torch_e = embedders["torch", torch_best["threads"]]
    onnx_e = embedders["onnx", onnx_best["threads"]]
    a, b = torch_e.embed(texts), onnx_e.embed(texts)
    cosines = np.sum(a * b, axis=1)
    return {
        "speedup_at_best_settings": round(
            onnx_best["chunks_per_second"] / torch_best["chunks_per_second"], 2),
        "mean_cosine": round(float(cosines.mean()), 4),
        "min_cosine": round(float(cosines.min()), 4),
    }

