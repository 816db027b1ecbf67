"""Do the torch and ONNX backends retrieve the same chunks? Top-5 agreement, side by side.

Each backend ingests the same corpus into its own store (so stored and query vectors come
from one backend, as in a deployment), then answers the same questions of the sample
question set. Reported per backend: the dense top-5 and the service's hybrid top-5 (the
real HybridRetriever), and between backends the mean share of top-5 chunks they have in
common. Recall@5 and MRR over the gold pages come from `careerqa eval` run once per
backend (docs/performance.md); this bench answers "same chunks?", not "right chunks?".
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
from pathlib import Path

from core.settings import PROJECT_ROOT, SAMPLE_SITE_DIR, Settings
from eval.bench_texts import SHARED_CORPORA
from eval.datasets import load_questions
from ingest.embed import Embedder, embedder_from_settings
from ingest.pipeline import Ingestor
from ingest.sources import LocalPath
from ingest.state import IngestState
from ingest.store import ChromaStore

QUESTIONS = PROJECT_ROOT / "eval" / "datasets" / "questions.jsonl"
K = 5


def _specs(corpus: str) -> list[LocalPath]:
    if corpus == "shared":
        if not SHARED_CORPORA.is_dir():
            raise FileNotFoundError(f"{SHARED_CORPORA} is absent")
        return [LocalPath(path=SHARED_CORPORA, base_url="http://shared.invalid/")]
    return [LocalPath(path=SAMPLE_SITE_DIR / s, base_url=f"http://sample.invalid/{s}/")
            for s in ("articles", "case-studies")]


def _top_ids(settings: Settings, embedder: Embedder, questions: list[str]) -> dict:
    from app.retrieve import HybridRetriever

    store = ChromaStore.from_settings(settings)
    retriever = HybridRetriever(store, embedder, settings)
    vectors = embedder.embed(questions)
    dense = [[c.id for c, _ in store.query(v, K)] for v in vectors]
    hybrid = [[h.chunk.id for h in retriever.retrieve(q, top_k=K).hits[:K]] for q in questions]
    return {"dense": dense, "hybrid": hybrid, "chunks": store.count()}


def run(questions: int = 50, corpus: str = "sample", settings: Settings | None = None,
        out: Path | None = None) -> dict:
    settings = settings or Settings()
    cases = [c for c in load_questions(QUESTIONS) if not c.history][:questions]
    texts = [c.question for c in cases]
    work = Path(tempfile.mkdtemp(prefix="careerqa-agree-"))
    tops = {}
    loads = [os.getloadavg()[0]]
    try:
        for backend in ("torch", "onnx"):
            own = settings.model_copy(update={
                "embedding_backend": backend, "data_dir": work / backend,
                "onnx_dir": settings.onnx_model_dir, "sentence_warmup": False})
            embedder = embedder_from_settings(own)
            state = IngestState.from_settings(own)
            try:
                Ingestor(own, embedder, ChromaStore.from_settings(own), state,
                         progress=False).run(_specs(corpus))
            finally:
                state.close()
            tops[backend] = _top_ids(own, embedder, texts)
            loads.append(os.getloadavg()[0])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result: dict = {"questions": len(texts), "corpus": corpus, "k": K,
                    "chunks": tops["torch"]["chunks"],
                    "load_average_1min": [round(x, 2) for x in loads]}
    for kind in ("dense", "hybrid"):
        overlaps = [len(set(a) & set(b)) / K
                    for a, b in zip(tops["torch"][kind], tops["onnx"][kind], strict=True)]
        same_first = [bool(a and b and a[0] == b[0])
                      for a, b in zip(tops["torch"][kind], tops["onnx"][kind], strict=True)]
        result[f"{kind}_top{K}_agreement"] = round(statistics.mean(overlaps), 3)
        result[f"{kind}_same_first_hit"] = round(statistics.mean(same_first), 3)
    if out:
        out.write_text(json.dumps(result, indent=2))
    return result
