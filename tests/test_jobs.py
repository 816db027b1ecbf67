"""Ingest as jobs: queued by the API, claimed by one worker, resumed when a worker dies."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from app.answer.sentence_cache import SentenceCache, chunk_sentences
from app.main import create_app
from core import jobs
from core.db import Database
from ingest.store import ChromaStore
from tests.conftest import make_settings
from tests.http_server import held_until
from tests.test_api import ADMIN_KEY, await_job, bearer
from tests.test_replicas import cited_versions, eventually, team_page

PAGE = {"sources": [{"urls": ["http://127.0.0.1:9/a.html"]}], "prune": False}


@pytest.fixture
def db(tmp_path):
    database = Database.from_settings(make_settings(tmp_path / "data"))
    yield database
    database.close()


def test_each_queued_job_goes_to_exactly_one_of_several_workers(db):
    for n in range(30):
        jobs.enqueue(db, {"sources": [{"urls": [f"http://127.0.0.1:9/{n}.html"]}]})
    claimed: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while (job := jobs.claim(db, name)) is not None:
            with lock:
                claimed.append(job.id)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, ["w1", "w2", "w3", "w4"]))
    assert sorted(claimed) == list(range(1, 31))  # every job once, none twice


def test_an_identical_request_joins_the_active_job_and_a_later_one_is_new(db):
    first, created = jobs.enqueue(db, PAGE)
    again, created_again = jobs.enqueue(db, PAGE)
    assert created and not created_again and again.id == first.id
    claimed = jobs.claim(db, "w1")
    assert claimed is not None and claimed.id == first.id
    assert jobs.enqueue(db, PAGE)[0].id == first.id  # still active while running
    jobs.finish(db, first.id, "w1", summary={"stored": 1})
    later, created_later = jobs.enqueue(db, PAGE)
    assert created_later and later.id != first.id


def test_a_job_whose_worker_went_silent_is_resumed_then_failed(db):
    job, _ = jobs.enqueue(db, PAGE)
    assert jobs.claim(db, "dead-1").id == job.id
    # A worker that is still beating keeps its job.
    assert jobs.recover_stale(db, stale_after=60, max_attempts=2) == 0
    # Silent for longer than the limit (0 s here): queued again, nothing lost.
    assert jobs.recover_stale(db, stale_after=0, max_attempts=2) == 1
    assert jobs.get(db, job.id).status == "queued"
    resumed = jobs.claim(db, "dead-2")
    assert resumed.id == job.id and resumed.attempts == 2
    assert not jobs.beat(db, job.id, "dead-1", None)  # the first worker lost it
    jobs.recover_stale(db, stale_after=0, max_attempts=2)
    failed = jobs.get(db, job.id)
    assert failed.status == "failed" and "stopped answering 2 times" in failed.error


def test_ingest_request_answers_202_while_a_slow_page_is_still_held(settings, sample_site,
                                                                    embedder):
    """POST /v1/ingest used to hold the request for as long as the slowest page."""
    release = threading.Event()

    sample_site.routes["/held.html"] = held_until(release)
    settings = settings.model_copy(update={"admin_api_key": ADMIN_KEY,
                                           "ingest_sample_on_start": False})
    with TestClient(create_app(settings, embedder=embedder)) as admin:
        try:
            queued = admin.post("/v1/ingest", headers=bearer(ADMIN_KEY),
                                json={"sources": [{"urls": [sample_site.url_for("held.html")]}]})
            # The page is still held by its server: the request cannot have waited for it.
            assert not release.is_set()
            assert queued.status_code == 202, queued.text
            assert queued.json()["status"] in ("queued", "running")
            assert queued.json()["summary"] is None
        finally:
            release.set()
        job = await_job(admin, queued.json()["id"])
        assert job["status"] == "done" and job["summary"]["stored"] == 1
        assert admin.get("/v1/ingest/999999", headers=bearer(ADMIN_KEY)).status_code == 404
    # The worker's last stage left every sentence's vector where any replica reads it.
    db = Database.from_settings(settings)
    stored = chunk_sentences(ChromaStore.from_settings(settings).all_chunks())
    cached = SentenceCache(db, embedder.name, embedder.dim).get_many(stored)
    db.close()
    assert stored and set(cached) == set(stored)


def test_an_identical_ingest_request_while_one_runs_joins_it(settings, sample_site, embedder):
    release = threading.Event()

    sample_site.routes["/held.html"] = held_until(release)
    settings = settings.model_copy(update={"admin_api_key": ADMIN_KEY,
                                           "ingest_sample_on_start": False})
    body = {"sources": [{"urls": [sample_site.url_for("held.html")]}]}
    with TestClient(create_app(settings, embedder=embedder)) as admin:
        try:
            first = admin.post("/v1/ingest", json=body, headers=bearer(ADMIN_KEY)).json()
            second = admin.post("/v1/ingest", json=body, headers=bearer(ADMIN_KEY)).json()
        finally:
            release.set()
        assert second["id"] == first["id"] and second["joined"] is True
        job = await_job(admin, first["id"])
        assert job["status"] == "done" and job["summary"]["stored"] == 1
        assert sample_site.hits["/held.html"] == 1  # fetched once


def test_a_page_edited_in_place_is_answered_with_its_new_text_by_another_app(
        settings, sample_site, embedder):
    """Same chunk count before and after: a count check never saw this edit."""
    question = "When does the Zephyr on-call rotation hand over?"
    settings = settings.model_copy(update={"admin_api_key": ADMIN_KEY,
                                           "ingest_sample_on_start": False})
    reader = settings.model_copy(update={"worker_in_process": False})
    url = sample_site.url_for("team/zephyr.html")
    body = {"sources": [{"urls": [url]}]}

    def ingest_version(admin: TestClient, day: str) -> str:
        sample_site.write("team/zephyr.html", team_page(day))
        job = admin.post("/v1/ingest", json=body, headers=bearer(ADMIN_KEY)).json()
        assert await_job(admin, job["id"])["status"] == "done"
        (page,) = admin.get("/v1/sources").json()
        return page["content_hash"]

    with TestClient(create_app(settings, embedder=embedder)) as admin, \
            TestClient(create_app(reader, embedder=embedder)) as other:
        tuesday = ingest_version(admin, "Tuesday")
        eventually(lambda: cited_versions(other, question) == {tuesday})
        friday = ingest_version(admin, "Friday")
        assert friday != tuesday
        eventually(lambda: cited_versions(other, question) == {friday})
        answer = other.post("/v1/ask", json={"question": question}).json()
        assert "Tuesday" not in answer["answer"]
