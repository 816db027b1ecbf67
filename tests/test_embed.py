"""The embedders: torch's small calls take the short path and their own thread count; the
default (int8 ONNX) backend's vectors barely depend on what they are batched with."""

from __future__ import annotations

import numpy as np
import torch

from core.settings import Settings
from ingest.embed import SentenceTransformerEmbedder, embedder_from_settings

QUESTION = "What do great staff engineers do when a project drifts?"
OTHERS = [f"Note {i}: a mentor reviews the plan with the new engineer weekly." for i in range(15)]


def test_a_question_alone_gets_the_vector_it_gets_inside_a_full_batch(torch_embedder) -> None:
    embedder = torch_embedder
    alone = embedder.embed([QUESTION])
    batched = embedder.embed([QUESTION, *OTHERS])  # a full batch: the library's encode
    assert alone.shape == (1, embedder.dim)
    assert alone.dtype == np.float32
    assert np.allclose(alone[0], batched[0], atol=1e-5)
    assert abs(float(np.linalg.norm(alone[0])) - 1.0) < 1e-5


def test_small_calls_run_on_their_own_thread_count_and_batches_on_theirs() -> None:
    model = Settings(_env_file=None).embedding_model
    embedder = SentenceTransformerEmbedder(model, batch_size=4, threads=2, small_call_threads=1)
    embedder.embed([QUESTION])
    assert torch.get_num_threads() == 1
    embedder.embed([QUESTION, *OTHERS[:3]])
    assert torch.get_num_threads() == 2


def test_onnx_vectors_are_repeatable_and_move_little_with_their_batch(embedder) -> None:
    # int8 activations are quantised per call over the whole padded batch, so a text's
    # vector shifts slightly with its batch mates (cosine ~0.99), never between two
    # identical calls.
    assert embedder.name.endswith("#onnx-int8")  # the default backend
    alone = embedder.embed([QUESTION])
    assert np.array_equal(alone, embedder.embed([QUESTION]))
    for mates in (OTHERS, ["A much longer text about on-call rotations. " * 30]):
        batched = embedder.embed([QUESTION, *mates])
        assert float(alone[0] @ batched[0]) > 0.98
    assert abs(float(np.linalg.norm(alone[0])) - 1.0) < 1e-5


def test_settings_choose_the_small_call_thread_count() -> None:
    embedder = embedder_from_settings(Settings(_env_file=None, embedding_backend="torch",
                                               embedding_small_call_threads=1))
    assert embedder.small_call_threads == 1
    assert Settings(_env_file=None).embedding_small_call_threads == 1
