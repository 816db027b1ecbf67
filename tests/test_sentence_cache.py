"""Sentence vectors persisted on disk and embedded ahead of questions."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from app.answer.sentence_cache import SentenceCache, chunk_sentences
from app.main import create_app
from core.db import Database
from core.tables import SentenceVectorRow
from eval.bench_query import await_warmup
from tests.conftest import make_settings


class CountingEmbedder:
    """The real model, remembering every text it was asked to embed."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.embed(texts)


def _database(tmp_path) -> Database:
    return Database.from_settings(make_settings(tmp_path / "data"))


def test_vectors_survive_a_reopen_and_are_keyed_by_model(tmp_path) -> None:
    db = _database(tmp_path)
    cache = SentenceCache(db, "model-a", 3)
    vector = np.array([0.6, 0.8, 0.0], dtype=np.float32)
    cache.put_many({"Staff engineers write things down.": vector})
    db.close()

    db = _database(tmp_path)
    reopened = SentenceCache(db, "model-a", 3)
    found = reopened.get_many(["Staff engineers write things down.", "Never stored."])
    assert list(found) == ["Staff engineers write things down."]
    np.testing.assert_array_equal(found["Staff engineers write things down."], vector)
    assert len(reopened) == 1
    # Another model's vectors are not interchangeable with these.
    assert SentenceCache(db, "model-b", 3).get_many(["Staff engineers write things down."]) == {}


def test_many_lookups_at_once_are_paged(tmp_path) -> None:
    cache = SentenceCache(_database(tmp_path), "m", 2)
    items = {f"sentence {i}": np.array([1.0, float(i)], dtype=np.float32) for i in range(1200)}
    cache.put_many(items)
    assert len(cache.get_many(items)) == 1200


@pytest.fixture
def warm_data_dir(tmp_path, sample_settings):
    """A private copy of the sample store, so that warming it leaves the shared one alone."""
    target = tmp_path / "data"
    shutil.copytree(sample_settings.data_dir, target)
    db = Database.from_settings(make_settings(target))
    with db.session() as session:
        session.execute(delete(SentenceVectorRow))
    db.close()
    return target


def test_after_warm_up_a_new_question_embeds_no_source_sentence(
    warm_data_dir, sample_store, embedder
) -> None:
    settings = make_settings(warm_data_dir, ingest_sample_on_start=False, sentence_warmup=True)
    counting = CountingEmbedder(embedder)
    with TestClient(create_app(settings, embedder=counting)) as client:
        status = await_warmup(client.get, timeout=600)
        stored = set(chunk_sentences(sample_store.all_chunks()))
        assert status["total"] == len(stored) > 500
        assert status["done"] == status["total"]
        assert stored <= set(counting.texts)

        counting.texts.clear()
        question = "How do staff engineers handle incidents when they are on call?"
        body = client.post("/v1/ask", json={"question": question}).json()
        assert body["citations"], body["answer"]
        # The question (and its parts) only: every candidate sentence came from the cache.
        assert not set(counting.texts) & stored
        assert question in counting.texts

    # A restart finds the vectors on disk: nothing is embedded again.
    counting.texts.clear()
    with TestClient(create_app(settings, embedder=counting)) as client:
        status = await_warmup(client.get, timeout=600)
        assert status["done"] == status["total"] == len(stored)
    assert not set(counting.texts) & stored


def test_the_model_runs_on_the_configured_number_of_threads_in_any_thread(
    sample_settings,
) -> None:
    import threading

    import torch

    from app.parts import build_parts

    parts = build_parts(sample_settings.model_copy(
        update={"torch_threads": 1, "embedding_backend": "torch"}))
    seen: list[int] = []

    def request() -> None:  # as a request handler would, on a worker thread
        parts.embedder.embed(["What does a staff engineer own?"])
        seen.append(torch.get_num_threads())

    try:
        worker = threading.Thread(target=request)
        worker.start()
        worker.join()
    finally:
        parts.close()
    assert seen == [1]


def test_after_warm_up_a_first_question_finds_its_chunks_already_analysed(
    warm_data_dir, sample_store, embedder
) -> None:
    from app.answer.cues import cues_of
    from app.answer.quotes import answer_quotes

    settings = make_settings(warm_data_dir, ingest_sample_on_start=False, sentence_warmup=True)
    answer_quotes.cache_clear()
    cues_of.cache_clear()
    with TestClient(create_app(settings, embedder=embedder)) as client:
        await_warmup(client.get, timeout=600)
        stored = sample_store.all_chunks()
        assert answer_quotes.cache_info().currsize == len(stored) > 100
        quotes, cues = answer_quotes.cache_info().misses, cues_of.cache_info().misses
        body = client.post("/v1/ask", json={
            "question": "How do staff engineers handle incidents when they are on call?"}).json()
        assert body["citations"], body["answer"]
        # Every pool chunk was split and every quote's cues read ahead of the question.
        assert answer_quotes.cache_info().misses == quotes
        assert cues_of.cache_info().misses == cues
