"""Replicas share one state: three `careerqa serve` processes and a `careerqa worker` on
loopback, over one PostgreSQL server and one `chroma run` server.

What one replica is told, every replica knows within a few seconds: ingests, edits,
deletions, feedback and the rate limit's count. The replicas search the database keyword
index (PostgreSQL full-text), written by the worker with each page's state. The processes
load the real model each, so the whole module is `slow`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from core.db import Database
from core.settings import SAMPLE_SITE_DIR
from tests.conftest import LOCAL_FETCH_ENV
from tests.http_server import SiteServer, held_until, serve_site
from tests.test_chroma_server import CAREERQA, CHROMA, chroma_server
from tests.widget_support import free_port

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMA.exists(), reason="needs the chroma CLI")]

ADMIN, READER, LIMITED = "admin-key", "reader-key", "limited-key"
LIMIT = 40  # per minute and per key, across all replicas
SEEN_WITHIN = 5.0  # seconds: a change made through one replica, seen by all
SIZEBOT = "case-studies/binary-size-automation.html"


@dataclass
class Process:
    name: str
    url: str
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)


@dataclass
class Cluster:
    replicas: dict[str, Process]
    worker: Process
    env: dict[str, str]
    database_url: str
    site: SiteServer

    def client(self, name: str) -> httpx.Client:
        return httpx.Client(base_url=self.replicas[name].url, timeout=60)


def _env(tmp: Path, database_url: str, chroma_url: str) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "CAREERQA_DATA_DIR": str(tmp / "data"),
            "CAREERQA_DATABASE_URL": database_url, "CAREERQA_CHROMA_URL": chroma_url,
            "CAREERQA_COLLECTION": "replicas", "CAREERQA_ADMIN_API_KEY": ADMIN,
            "CAREERQA_API_KEYS": json.dumps([READER, LIMITED]),
            "CAREERQA_RATE_LIMIT_PER_MINUTE": str(LIMIT),
            "CAREERQA_INGEST_SAMPLE_ON_START": "false", "CAREERQA_WORKER_IN_PROCESS": "false",
            "CAREERQA_SENTENCE_WARMUP": "false", "CAREERQA_REFRESH_SECONDS": "0.5",
            # The keyword index every replica shares: what one is told, all search at once.
            "CAREERQA_KEYWORD_INDEX": "database",
            "CAREERQA_JOB_STALE_SECONDS": "10", "CAREERQA_TORCH_THREADS": "1",
            "CAREERQA_CRAWL_HOST_DELAY": "0", "CAREERQA_FETCH_TIMEOUT": "5",
            **LOCAL_FETCH_ENV}  # pages are served on loopback, which ingest refuses unless named


def _start(name: str, args: list[str], env: dict[str, str], tmp: Path, url: str = "") -> Process:
    log = tmp / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen([str(CAREERQA), *args], env=env, stdout=out,
                                 stderr=subprocess.STDOUT)
    return Process(name, url, popen, log)


def _serve(name: str, env: dict[str, str], tmp: Path) -> Process:
    port = free_port()
    return _start(name, ["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp,
                  f"http://127.0.0.1:{port}")


def _wait_ready(process: Process, timeout: float = 600) -> None:
    """Up to 10 min: four processes importing torch at once on a busy CI machine."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.alive(), process.log.read_text()[-3000:]
        try:
            if httpx.get(process.url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{process.name} not ready: {process.log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, postgres_url) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("replicas")
    shutil.copytree(SAMPLE_SITE_DIR, tmp / "site")
    with chroma_server(tmp / "chroma") as chroma, serve_site(tmp / "site") as site:
        env = _env(tmp, postgres_url, chroma.url)
        replicas = {name: _serve(name, env, tmp) for name in "ABC"}
        worker = _start("worker", ["worker", "--poll", "0.3"], env, tmp)
        cluster = Cluster(replicas, worker, env, postgres_url, site)
        try:
            for process in replicas.values():
                _wait_ready(process)
            yield cluster
        finally:
            # Tests may replace the worker (a killed one is restarted): stop the current one.
            for process in [*cluster.replicas.values(), cluster.worker]:
                process.stop()


def _admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN}"}


def _reader() -> dict[str, str]:
    return {"Authorization": f"Bearer {READER}"}


def ingest(client: httpx.Client, urls: list[str], timeout: float = 120) -> dict:
    queued = client.post("/v1/ingest", json={"sources": [{"urls": urls}]}, headers=_admin())
    assert queued.status_code == 202, queued.text
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/ingest/{queued.json()['id']}", headers=_admin()).json()
        if job["status"] in ("done", "failed"):
            assert job["status"] == "done", job
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {queued.json()} did not finish")


def eventually(check: Callable[[], bool], within: float = SEEN_WITHIN) -> float:
    """Seconds until `check()` held; fails after `within` seconds."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within, f"not seen within {within} s"
        time.sleep(0.1)
    return time.monotonic() - started


def cited_urls(client: httpx.Client, question: str) -> set[str]:
    body = client.post("/v1/ask", json={"question": question}, headers=_reader()).json()
    return {c["url"] for c in body.get("citations", [])}


def cited_versions(client, question: str) -> set[str]:
    """The content hashes (source versions) an answer's citations carry."""
    body = client.post("/v1/ask", json={"question": question}, headers=_reader()).json()
    return {c["content_hash"] for c in body.get("citations", [])}


def team_page(day: str) -> str:
    paragraphs = [
        f"The Zephyr on-call rotation hands over every {day} at noon.",
        "Each handover reviews the open incidents and the alerts that fired overnight.",
        "The outgoing engineer writes a short note about anything still unresolved.",
        "New members shadow two rotations before they carry the pager on their own.",
    ]
    body = "".join(f"<p>{p}</p>" for p in paragraphs * 3)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Zephyr rotation"
            f"</title></head><body><article><h1>Zephyr rotation</h1>{body}</article>"
            "</body></html>")


def test_a_page_ingested_through_a_is_answered_by_b_and_c(cluster):
    url = cluster.site.url_for(SIZEBOT)
    with cluster.client("A") as a, cluster.client("B") as b, cluster.client("C") as c:
        ingest(a, [url])
        for replica in (b, c):
            eventually(lambda r=replica: url in cited_urls(r, "What is SizeBot?"))
        sources = {s["url"] for s in b.get("/v1/sources", headers=_reader()).json()}
        assert url in sources


def test_a_page_edited_in_place_is_answered_with_its_new_text_everywhere(cluster):
    question = "When does the Zephyr on-call rotation hand over?"
    url = cluster.site.url_for("team/zephyr.html")

    def version(client: httpx.Client) -> str:
        pages = {p["url"]: p for p in client.get("/v1/sources", headers=_reader()).json()}
        return pages[url]["content_hash"]

    with cluster.client("A") as a, cluster.client("B") as b, cluster.client("C") as c:
        cluster.site.write("team/zephyr.html", team_page("Tuesday"))
        ingest(a, [url])
        tuesday = version(c)
        for replica in (a, b, c):
            eventually(lambda r=replica: cited_versions(r, question) == {tuesday})
        cluster.site.write("team/zephyr.html", team_page("Friday"))
        job = ingest(b, [url])
        assert job["summary"]["stored"] == 1  # same chunk count, new text
        friday = version(a)
        assert friday != tuesday
        for replica in (a, b, c):
            eventually(lambda r=replica: cited_versions(r, question) == {friday})


def test_feedback_posted_to_b_is_exported_through_a(cluster, tmp_path):
    with cluster.client("B") as b:
        posted = b.post("/v1/feedback", headers=_reader(), json={
            "rating": "down", "question": "Who sponsors the Zephyr rotation?",
            "answer": "Nobody knows.", "comment": "posted to replica B"})
        assert posted.status_code == 201, posted.text
    out = tmp_path / "review"
    # The export runs with replica A's configuration (the same environment).
    done = subprocess.run([str(CAREERQA), "eval", "export-feedback", "--out", str(out)],
                          env=cluster.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in
            (out / "feedback_questions.jsonl").read_text().splitlines()]
    assert any(r["comment"] == "posted to replica B" for r in rows)


def test_delete_through_c_removes_the_page_for_all(cluster):
    url = cluster.site.url_for(SIZEBOT)
    with cluster.client("A") as a, cluster.client("B") as b, cluster.client("C") as c:
        listed = {s["url"]: s["id"] for s in c.get("/v1/sources", headers=_reader()).json()}
        if url not in listed:
            ingest(a, [url])
            listed = {s["url"]: s["id"] for s in c.get("/v1/sources", headers=_reader()).json()}
        deleted = c.delete(f"/v1/sources/{listed[url]}", headers=_admin())
        assert deleted.status_code == 200, deleted.text
        for replica in (a, b):
            assert url not in {s["url"] for s in
                               replica.get("/v1/sources", headers=_reader()).json()}
            eventually(lambda r=replica: url not in cited_urls(r, "What is SizeBot?"))


def test_two_simultaneous_ingest_requests_through_two_replicas_run_once(cluster):
    body = {"sources": [{"urls": [cluster.site.url_for("articles/building-trust.html")]}]}
    start = threading.Barrier(2)

    def post(name: str) -> dict:
        with cluster.client(name) as client:
            start.wait()
            return client.post("/v1/ingest", json=body, headers=_admin()).json()

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(post, ["A", "B"])
    assert first["id"] == second["id"] and {first["joined"], second["joined"]} == {False, True}


def test_the_rate_limit_holds_across_replicas(cluster):
    clients = [cluster.client(n) for n in "ABC"]
    statuses = []
    started = time.monotonic()
    for n in range(3 * LIMIT):
        response = clients[n % 3].get("/v1/sources",
                                      headers={"Authorization": f"Bearer {LIMITED}"})
        statuses.append(response.status_code)
    refilled = int((time.monotonic() - started) * LIMIT / 60) + 1
    allowed = statuses.count(200)
    assert LIMIT <= allowed <= LIMIT + refilled  # one quota, not one per replica
    assert statuses.count(429) == len(statuses) - allowed
    for client in clients:
        client.close()


def test_a_job_whose_worker_is_killed_is_resumed_by_another_worker(cluster, tmp_path):
    release = threading.Event()

    cluster.site.routes["/held.html"] = held_until(release)
    with cluster.client("C") as c:
        queued = c.post("/v1/ingest", headers=_admin(),
                        json={"sources": [{"urls": [cluster.site.url_for("held.html")]}]}).json()
        # The worker is inside the job (fetching the held page) when it is killed.
        eventually(lambda: cluster.site.hits["/held.html"] >= 1, within=60)
        cluster.worker.popen.send_signal(signal.SIGKILL)
        cluster.worker.popen.wait(timeout=10)
        assert c.get(f"/v1/ingest/{queued['id']}", headers=_admin()).json()["status"] == "running"
        release.set()
        cluster.worker = _start("worker-2", ["worker", "--poll", "0.3"], cluster.env, tmp_path)
        deadline = time.monotonic() + 240  # the new worker loads the model, then the job
        while time.monotonic() < deadline:
            job = c.get(f"/v1/ingest/{queued['id']}", headers=_admin()).json()
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.5)
        assert job["status"] == "done" and job["attempts"] == 2, job
        assert job["summary"]["stored"] == 1


def test_a_replica_killed_under_load_loses_no_acknowledged_write(cluster):
    """Last: it kills replica A. Every 201 it sent names a row in the shared database."""
    acknowledged: list[int] = []
    stop = threading.Event()

    def post_feedback() -> None:
        with cluster.client("A") as a:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    response = a.post("/v1/feedback", headers=_reader(), json={
                        "rating": "up", "question": f"load {n}", "answer": "ok"})
                except httpx.HTTPError:
                    return  # the replica is gone
                if response.status_code == 201:
                    acknowledged.append(response.json()["id"])

    writers = [threading.Thread(target=post_feedback) for _ in range(4)]
    for writer in writers:
        writer.start()
    eventually(lambda: len(acknowledged) >= 20, within=60)
    cluster.replicas["A"].popen.send_signal(signal.SIGKILL)
    cluster.replicas["A"].popen.wait(timeout=10)
    stop.set()
    for writer in writers:
        writer.join(timeout=30)
    db = Database(cluster.database_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with db.engine.connect() as connection:
            stored = {row[0] for row in connection.execute(text("SELECT id FROM feedback"))}
    finally:
        db.close()
    assert acknowledged and set(acknowledged) <= stored
    # The others keep answering.
    with cluster.client("B") as b:
        assert b.get("/readyz").status_code == 200
