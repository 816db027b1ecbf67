"""Routes take only the parts they declare: replace one provider and the route works on it
alone, while the app's own parts are not even loaded (every other route says `starting`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.check import CitationChecker
from app.deps import get_checker, get_feedback
from app.feedback import FeedbackStore
from app.main import create_app
from core.db import Database
from tests.conftest import make_settings
from tests.widget_support import feedback_rows


@pytest.fixture
def unstarted(tmp_path) -> Iterator[tuple]:
    """An app whose lifespan never runs: no store, no model, no parts at all."""
    settings = make_settings(tmp_path / "app")
    app = create_app(settings)
    yield app, TestClient(app)  # not entered as a context: the lifespan does not run
    app.dependency_overrides.clear()


def test_feedback_is_stored_where_the_overriding_store_writes(unstarted, tmp_path):
    app, client = unstarted
    elsewhere = make_settings(tmp_path / "elsewhere")
    db = Database.from_settings(elsewhere)
    app.dependency_overrides[get_feedback] = lambda: FeedbackStore(db)
    try:
        response = client.post("/v1/feedback", json={"rating": "down", "question": "q",
                                                     "answer": "a", "comment": "wrong number"})
        assert response.status_code == 201
        rows = feedback_rows(elsewhere)
        assert [(r["id"], r["rating"], r["comment"]) for r in rows] == [
            (response.json()["id"], "down", "wrong number")]
    finally:
        db.close()
    # Nothing else was replaced: a route needing the (unloaded) ask service says so.
    refused = client.post("/v1/ask", json={"question": "What does a staff engineer own?"})
    assert refused.status_code == 503 and refused.json()["error"] == "not_ready"


def test_check_answers_with_the_checker_it_is_given_while_nothing_else_is_loaded(
        unstarted, embedder):
    app, client = unstarted
    body = {"answer": "Escalations fell by 40% [1]. Escalations fell by 14% [1].",
            "sources": [{"id": 1, "text": "Escalations fell by 40% after the pairing program."}]}
    assert client.post("/v1/check", json=body).json()["error"] == "not_ready"
    settings = app.state.settings
    app.dependency_overrides[get_checker] = lambda: CitationChecker.from_settings(settings,
                                                                                  embedder)
    response = client.post("/v1/check", json=body)
    assert response.status_code == 200
    assert [(s["verdict"], s["reason"]) for s in response.json()["sentences"]] == [
        ("supported", None), ("unsupported", "number_mismatch")]
    assert client.get("/v1/sources").json()["error"] == "not_ready"
