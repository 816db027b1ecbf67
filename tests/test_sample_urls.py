"""Sample citations point where the service runs now, not where it first ingested them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.sample_urls import STORED_SAMPLE_BASE, published_url
from tests.widget_support import free_port

PORTAL = "How did the Portal team reduce video call drops?"


def test_only_sample_urls_move():
    assert published_url(STORED_SAMPLE_BASE + "articles/a.html", "http://h:9/") == (
        "http://h:9/sample/articles/a.html")
    assert published_url("https://blog.example/sample/a.html", "http://h:9") == (
        "https://blog.example/sample/a.html")


def test_citations_use_the_current_public_url_and_open_there(sample_settings, embedder):
    public = f"http://127.0.0.1:{free_port()}"
    settings = sample_settings.model_copy(update={"public_url": public})
    with TestClient(create_app(settings, embedder=embedder), base_url=public) as client:
        answer = client.post("/v1/ask", json={"question": PORTAL}).json()
        citations = answer["citations"]
        assert citations
        for citation in citations:
            assert citation["url"].startswith(public + "/sample/"), citation["url"]
            assert citation["fragment_url"].startswith(citation["url"] + "#:~:text=")
            assert client.get(citation["url"]).status_code == 200


@pytest.mark.parametrize("chosen_by", ["flag", "environment"])
def test_serve_prints_where_it_is_ready_once_it_answers(sample_settings, tmp_path, chosen_by):
    data = tmp_path / "data"
    shutil.copytree(sample_settings.data_dir, data)
    port = free_port()
    env = {**os.environ, "CAREERQA_DATA_DIR": str(data), "CAREERQA_SENTENCE_WARMUP": "false"}
    command = [sys.executable, "-m", "app.cli", "serve"]
    if chosen_by == "flag":
        command += ["--port", str(port)]
    else:
        env["CAREERQA_PORT"] = str(port)
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 240
        line = ""
        while "ready at" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
        base = f"http://127.0.0.1:{port}"
        assert line.strip() == f"careerqa ready at {base}/ (demo), {base}/docs (API)"
        assert httpx.get(base + "/").status_code == 200  # up when it says so
        assert httpx.get(base + "/docs").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
