"""Start-up: /healthz answers at once; /readyz and the routes say "starting" until loaded."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from app.main import create_app


class SlowToLoad:
    """The real model, whose loading (first use of its name) waits for the test."""

    def __init__(self, inner, release: threading.Event) -> None:
        self._inner, self._release = inner, release
        self.dim = inner.dim

    @property
    def name(self) -> str:
        self._release.wait(60)
        return self._inner.name

    def embed(self, texts):
        return self._inner.embed(texts)


def test_healthz_answers_while_the_model_loads_and_readyz_says_when_ready(sample_settings,
                                                                           embedder):
    release = threading.Event()
    settings = sample_settings.model_copy(update={"start_in_background": True})
    with TestClient(create_app(settings, embedder=SlowToLoad(embedder, release))) as client:
        try:
            assert client.get("/healthz").json() == {"status": "ok"}
            assert client.get("/readyz").status_code == 503
            assert client.get("/readyz").json()["status"] == "starting"
            asked = client.post("/v1/ask", json={"question": "What is SizeBot?"})
            assert asked.status_code == 503 and asked.json()["error"] == "not_ready"
        finally:
            release.set()
        for _ in range(600):
            if client.get("/readyz").status_code == 200:
                break
            threading.Event().wait(0.1)
        ready = client.get("/readyz").json()
        assert ready["status"] == "ready" and ready["chunks"] > 0
        assert client.post("/v1/ask", json={"question": "What is SizeBot?"}).status_code == 200
