"""`careerqa bench scale`: one replica's memory and start-up at 10k-200k chunks, by keyword index.

For each size a store is built as `careerqa bench query` builds its stores (the sample site
ingested by the service's own ingest, padded with generated chunks recombined from its
sentences, and those indexed in the database keyword index too). Embedding 200k generated
chunks would take hours here, so only the first `distinct_vectors` are embedded by the
model (cached by slice, shared with the query bench); chunk i beyond them reuses vector
i mod `distinct_vectors` plus Gaussian noise (sigma `NOISE` per dimension, renormalised),
which keeps the vector index's work realistic while the texts stay distinct.

For each size and keyword index a real `careerqa serve` process is started on a loopback
port, and the bench reports its time to `/healthz` and to `/readyz`, its resident memory
once ready (VmRSS) and at the end (VmHWM, the peak), and the `/v1/ask` median (each
question asked once untimed first, so sentence vectors are cached and both indexes are
timed warm). Memory and time to ready are fitted by least squares to a straight line in the
chunk count, `a + b * chunks`, and projected to 1M chunks.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from eval.bench_query import CACHE_ROOT as QUERY_CACHE
from eval.bench_query import (
    BenchStore,
    _say,
    bench_questions,
    bench_settings,
    build_store,
    embed_cached,
    machine_info,
)
from ingest.embed import Embedder, embedder_from_settings

CACHE_ROOT = Path(tempfile.gettempdir()) / "careerqa-bench-scale"
DEFAULT_SIZES = [2_000, 10_000]
KINDS = ("memory", "database")
NOISE = 0.02  # per dimension: a reused vector stays ~0.93 cosine from the one it copies
PROJECT_TO = 1_000_000
_SEED = 7


def reused_vectors(embedder: Embedder, distinct: int,
                   cache: Path) -> Callable[[list[str]], np.ndarray]:
    """Vectors for generated texts: the model's for the first `distinct`, perturbed copies
    of those for the rest (module docstring)."""

    def vectors_for(texts: list[str]) -> np.ndarray:
        base = embed_cached(embedder, texts[:distinct], cache)
        if len(texts) <= len(base):
            return base
        rng = np.random.default_rng(_SEED)
        out = base[np.arange(len(texts)) % len(base)]
        out = out + rng.normal(0.0, NOISE, out.shape).astype(np.float32)
        out[: len(base)] = base
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)

    return vectors_for


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of a process, in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def _wait(client: httpx.Client, path: str, popen: subprocess.Popen, timeout: float) -> float:
    """Seconds until `path` answers 200 (counted from the caller's start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"careerqa serve exited with {popen.returncode}")
        try:
            if client.get(path, timeout=2).status_code == 200:
                return time.monotonic()
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{path} did not answer 200 within {timeout:.0f} s")


def measure_replica(store: BenchStore, kind: str, questions: list[str], log: Path,
                    timeout: float = 1800) -> dict[str, Any]:
    """Start one `careerqa serve` over the store with the keyword index `kind`, and time it."""
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1",
           "CAREERQA_DATA_DIR": str(store.settings.data_dir),
           "CAREERQA_KEYWORD_INDEX": kind, "CAREERQA_INGEST_SAMPLE_ON_START": "false",
           "CAREERQA_WORKER_IN_PROCESS": "false", "CAREERQA_SENTENCE_WARMUP": "false",
           "CAREERQA_RATE_LIMIT_PER_MINUTE": "0", "CAREERQA_START_IN_BACKGROUND": "true",
           "CAREERQA_API_KEYS": "[]", "CAREERQA_TORCH_THREADS": "1"}
    command = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1",
               "--port", str(port)]
    with log.open("w") as out, httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        started = time.monotonic()
        # cwd: a folder without a .env, so only this environment configures the replica.
        popen = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                 cwd=log.parent)
        try:
            healthz = _wait(client, "/healthz", popen, timeout) - started
            readyz = _wait(client, "/readyz", popen, timeout) - started
            ready_memory = _memory_mb(popen.pid)
            chunks = client.get("/readyz").json().get("chunks")
            asked = []
            for question in questions:  # untimed: fills the sentence cache
                _ask(client, question)
            for question in questions:
                t0 = time.perf_counter()
                _ask(client, question)
                asked.append((time.perf_counter() - t0) * 1000)
            end_memory = _memory_mb(popen.pid)
        finally:
            popen.terminate()
            try:
                popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait(timeout=10)
    return {"healthz_seconds": round(healthz, 2), "readyz_seconds": round(readyz, 2),
            "rss_mb_ready": ready_memory.get("VmRSS"), "rss_mb_end": end_memory.get("VmRSS"),
            "peak_rss_mb": end_memory.get("VmHWM"), "chunks_reported": chunks,
            "ask_median_ms": round(statistics.median(asked), 1) if asked else None,
            "ask_p95_ms": round(float(np.percentile(asked, 95)), 1) if asked else None}


def _ask(client: httpx.Client, question: str) -> None:
    response = client.post("/v1/ask", json={"question": question, "mode": "extractive"},
                           timeout=300)
    if response.status_code != 200:
        raise RuntimeError(f"/v1/ask answered {response.status_code}: {response.text[:200]}")


def fit_line(sizes: list[int], values: list[float]) -> dict[str, float] | None:
    """Least-squares `a + b * chunks` and its value at `PROJECT_TO`; None below two sizes."""
    if len(set(sizes)) < 2:
        return None
    slope, intercept = np.polyfit(np.asarray(sizes, float), np.asarray(values, float), 1)
    return {"intercept": round(float(intercept), 2),
            "per_10k_chunks": round(float(slope) * 1e4, 3),
            "at_1m": round(float(intercept + slope * PROJECT_TO), 1)}


def run(sizes: list[int] | None = None, kinds: tuple[str, ...] = KINDS, questions: int = 30,
        distinct_vectors: int = 4096, reuse: bool = True, out: Path | None = None,
        root: Path = CACHE_ROOT) -> dict[str, Any]:
    sizes = sizes or DEFAULT_SIZES
    root.mkdir(parents=True, exist_ok=True)
    machine = machine_info()
    defaults = bench_settings(root)
    embedder = embedder_from_settings(defaults)
    vectors_for = reused_vectors(embedder, distinct_vectors, QUERY_CACHE / "vectors")
    asked = bench_questions(questions)
    per_size: dict[str, Any] = {}
    for size in sizes:
        load_before = [round(x, 2) for x in os.getloadavg()]
        store = build_store(size, embedder, root, reuse=reuse, vectors_for=vectors_for,
                            vectors_note=f"|reused:{distinct_vectors}:{NOISE}")
        entry: dict[str, Any] = {"chunks": store.chunks, "real_chunks": store.real_chunks,
                                 "store_build_seconds": round(store.build_seconds, 1),
                                 "store_reused": store.reused, "load_before": load_before}
        for kind in kinds:
            _say(f"{size:,} chunks, {kind} keyword index: starting careerqa serve")
            try:
                entry[kind] = measure_replica(store, kind, asked,
                                              root / f"serve-{size}-{kind}.log")
            except RuntimeError as exc:  # a replica that cannot start is the finding
                entry[kind] = {"error": str(exc)}
            _say(f"  {entry[kind]}")
        entry["load_after"] = [round(x, 2) for x in os.getloadavg()]
        per_size[str(size)] = entry
        if out:  # a long run keeps what it measured so far
            out.write_text(json.dumps({"sizes": per_size, "partial": True}, indent=2))
    projection = {}
    for kind in kinds:
        rows = [(int(s), e[kind]) for s, e in per_size.items() if "error" not in e[kind]]
        projection[kind] = {
            metric: fit_line([s for s, _ in rows], [r[metric] for _, r in rows])
            for metric in ("rss_mb_ready", "peak_rss_mb", "readyz_seconds")}
    result = {"sizes": per_size, "projection_to_1m": projection,
              "fit": "least squares, a + b * chunks", "kinds": list(kinds),
              "questions": questions, "distinct_vectors": distinct_vectors, "noise": NOISE,
              "machine": machine, "load_average_at_end": [round(x, 2) for x in os.getloadavg()]}
    if out:
        out.write_text(json.dumps(result, indent=2))
    return result
