"""/v1/check takes real pages: sources far above 100k characters, and a 413 naming each limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import make_settings

# Filler in the shape of a long page: many short paragraphs on other topics.
FILLER = "\n".join(
    f"Paragraph {n} of the archive discusses unrelated release notes for build {n}."
    for n in range(3000)
)
FACT = "The platform team cut deploy time from forty minutes to twelve minutes in 2021."


@pytest.fixture(scope="module")
def client(tmp_path_factory, embedder) -> Iterator[TestClient]:
    settings = make_settings(
        tmp_path_factory.mktemp("limits") / "data", ingest_sample_on_start=False,
        check_max_source_chars=500_000, check_max_request_bytes=700_000,
    )
    with TestClient(create_app(settings, embedder=embedder)) as test_client:
        yield test_client


def test_a_claim_is_found_deep_inside_a_source_over_100k_characters(client) -> None:
    page = f"{FILLER}\n{FACT}\n{FILLER}"
    assert 200_000 < len(page) <= 500_000
    body = {
        "answer": "Deploys went from forty minutes down to twelve in 2021 [1].",
        "sources": [{"id": 1, "text": page}],
    }
    response = client.post("/v1/check", json=body)
    assert response.status_code == 200, response.text
    sentence = response.json()["sentences"][0]
    assert sentence["verdict"] == "supported"
    assert sentence["best_quote"] == FACT


def test_a_source_over_the_character_limit_is_413_naming_it(client) -> None:
    body = {"answer": "Deploys got faster [1].", "sources": [{"id": 1, "text": "x" * 500_001}]}
    response = client.post("/v1/check", json=body)
    assert response.status_code == 413
    assert response.json()["error"] == "source_too_large"
    assert "500000" in response.json()["message"]


def test_a_request_over_the_check_body_limit_is_413_naming_it(client) -> None:
    body = {"answer": "Deploys got faster [1].", "sources": [{"id": 1, "text": "x" * 800_000}]}
    response = client.post("/v1/check", json=body)
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"
    assert "700000" in response.json()["message"]


def test_other_routes_keep_the_general_body_limit(client) -> None:
    response = client.post("/v1/ask", json={"question": "x" * 100_000})
    assert response.status_code == 413
