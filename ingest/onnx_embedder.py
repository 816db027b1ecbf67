"""The int8 ONNX embedding backend: the same MiniLM weights, run by onnxruntime.

Built once from the local weights (ingest/onnx_build.py). Tokenisation, mean pooling over
the attention mask and L2 normalisation follow the sentence-transformers model exactly,
so the vectors live in the same space as the torch backend's (cosine ~0.99 to them; see
docs/performance.md), and the texts are sorted by length before batching, as
sentence-transformers does, so a batch pads to similar lengths.

One difference from torch: activations are quantised per call over the whole padded
batch, so a text's vector moves slightly with its batch mates (cosine ~0.99 between a
question alone and in a batch; tests/test_embed.py). Identical calls give identical vectors.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ingest.onnx_build import MANIFEST_FILE, build

# The name the vectors are cached under: ONNX vectors differ slightly from torch's, so a
# sentence cache filled by one backend must not serve the other.
NAME_SUFFIX = "#onnx-int8"


class OnnxEmbedder:
    """An onnxruntime session over the int8 export, encoding in length-sorted batches."""

    def __init__(self, directory: Path, model: str, batch_size: int = 16, *,
                 threads: int = 0) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        # One graph runs at a time per call; parallel branches would only fight for cores.
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Idle worker threads sleep instead of spinning: a spinning pool would take the
        # cores that fetching, extraction and store writes need between batches.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(directory / manifest["model_file"]), options,
                                             providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = AutoTokenizer.from_pretrained(str(directory))
        self._max_length = int(manifest["max_seq_length"])
        self.name = model + NAME_SUFFIX
        self.batch_size = batch_size
        self.threads = threads
        self.dim = int(self._session.get_outputs()[0].shape[-1])

    @classmethod
    def built(cls, model: str, directory: Path, batch_size: int = 16, *,
              threads: int = 0) -> OnnxEmbedder:
        """Build the export of `model` into `directory` if it is missing or stale, then load it."""
        build(model, directory)
        return cls(directory, model, batch_size, threads=threads)

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Longest first, like sentence-transformers: batches pad to similar lengths.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._embed_batch([texts[i] for i in rows])
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encoded = self._tokenizer(texts, padding=True, truncation="longest_first",
                                  max_length=self._max_length, return_tensors="np")
        feed = {k: v.astype(np.int64) for k, v in encoded.items() if k in self._inputs}
        (tokens,) = self._session.run(None, feed)
        mask = encoded["attention_mask"].astype(np.float32)[:, :, None]
        # Mean over real tokens, then unit length: sentence-transformers' Pooling
        # (mean_tokens) and Normalize modules, with their epsilons.
        summed = (tokens * mask).sum(axis=1)
        pooled = summed / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
