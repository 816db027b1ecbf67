"""Chroma in server mode: a real `chroma run` subprocess, the real pipeline and app against it.

Startup with an unreachable server fails fast and says where it looked (StoreUnavailable:
a traceback-free line from the CLI, an exception from the app's lifespan); a server that
goes away later makes /readyz and the answering routes 503 with JSON.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.settings import SAMPLE_SITE_DIR
from ingest.errors import StoreUnavailable
from ingest.pipeline import Ingestor
from ingest.sources import LocalPath
from ingest.state import IngestState
from ingest.store import ChromaStore
from tests.conftest import make_settings
from tests.corpus_fixture import SAMPLE_BASE_URL, sample_documents_by_url
from tests.widget_support import free_port

CHROMA = Path(sys.executable).with_name("chroma")
CAREERQA = Path(sys.executable).with_name("careerqa")
PAGES = ("portal-video-calling-reliability.html", "binary-size-automation.html",
         "robinhood-on-call-training.html")
PORTAL = "How did the Portal team reduce video call drops?"

pytestmark = pytest.mark.skipif(not CHROMA.exists(), reason="needs the chroma CLI")


class ChromaServer:
    """`chroma run` on a free port, up once its heartbeat answers."""

    def __init__(self, path: Path) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log_path = path.with_suffix(".log")
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1",
                 "--port", self.url.rsplit(":", 1)[1]],
                stdout=log, stderr=subprocess.STDOUT,
            )

    def wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not _beats(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma did not start: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _beats(url: str) -> bool:
    try:
        return httpx.get(url + "/api/v2/heartbeat", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def chroma_server(path: Path) -> Iterator[ChromaServer]:
    """A running server, always stopped afterwards (a test may stop it sooner)."""
    server = ChromaServer(path)
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory) -> Iterator[str]:
    with chroma_server(tmp_path_factory.mktemp("chroma-server") / "db") as server:
        yield server.url


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> Path:
    """A few case studies of the sample site, as a local folder."""
    folder = tmp_path_factory.mktemp("case-studies")
    for name in PAGES:
        shutil.copy(SAMPLE_SITE_DIR / "case-studies" / name, folder / name)
    return folder


def ingest(settings, embedder, folder: Path):
    state = IngestState.from_settings(settings)
    try:
        return Ingestor(settings, embedder, ChromaStore.from_settings(settings), state,
                        progress=False).run([LocalPath(folder, SAMPLE_BASE_URL + "case-studies/")])
    finally:
        state.close()


def test_pipeline_stores_in_the_server_and_the_app_answers_from_it(
    chroma_url, pages, tmp_path, embedder
):
    settings = make_settings(tmp_path / "data", chroma_url=chroma_url,
                             ingest_sample_on_start=False)
    summary = ingest(settings, embedder, pages)
    assert summary.stored == len(PAGES) and summary.chunks_added > 0
    assert not settings.chroma_path.exists()  # nothing went to an embedded store

    with TestClient(create_app(settings, embedder=embedder)) as client:
        assert client.get("/readyz").json()["chunks"] == summary.chunks_added
        answer = client.post("/v1/ask", json={"question": PORTAL}).json()

    urls = {c["url"] for c in answer["citations"]}
    assert SAMPLE_BASE_URL + "case-studies/portal-video-calling-reliability.html" in urls
    assert urls <= {SAMPLE_BASE_URL + "case-studies/" + name for name in PAGES}
    documents = sample_documents_by_url()
    for c in answer["citations"]:
        assert documents[c["url"]].text[c["start"] : c["end"]] == c["quote"]
    assert answer["citation_check"]["passed"]


def test_server_that_goes_away_makes_readiness_and_answers_503(tmp_path, embedder):
    with chroma_server(tmp_path / "db") as server:
        settings = make_settings(tmp_path / "data", chroma_url=server.url,
                                 ingest_sample_on_start=False)
        with TestClient(create_app(settings, embedder=embedder)) as client:
            assert client.get("/readyz").json()["status"] == "ready"
            server.stop()

            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["status"] == "store_unavailable"
            answer = client.post("/v1/ask", json={"question": PORTAL})
            assert answer.status_code == 503
            assert answer.json()["error"] == "store_unavailable"
            assert "could not be reached" in answer.json()["message"]
            # Before the first event, the stream answers with a status too, not 200 + error.
            stream = client.post("/v1/ask/stream", json={"question": PORTAL})
            assert stream.status_code == 503
            assert stream.json()["error"] == "store_unavailable"


def test_unreachable_server_fails_app_startup_naming_it(tmp_path, embedder):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = make_settings(tmp_path / "data", chroma_url=url, ingest_sample_on_start=False)
    with pytest.raises(StoreUnavailable, match=f"cannot reach Chroma at {url}"), \
            TestClient(create_app(settings, embedder=embedder)):
        pass


def test_cli_reports_an_unreachable_server_in_one_line(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, "CAREERQA_CHROMA_URL": url, "CAREERQA_DATA_DIR": str(tmp_path)}
    commands = {name: subprocess.Popen([str(CAREERQA), *args], cwd=tmp_path, env=env, text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for name, args in {"serve": ["serve", "--port", str(free_port())],
                                   "ask": ["ask", PORTAL]}.items()}
    for name, process in commands.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 1, (name, out, err)
        assert err.startswith(f"careerqa: store unavailable: cannot reach Chroma at {url}"), err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
