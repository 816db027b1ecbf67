"""Abuse limits: forwarded addresses only from trusted proxies, and key guessing is limited."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.security import server_options
from tests.widget_support import run_service

FAKE_ADDRESSES = [f"203.0.113.{n}" for n in range(1, 9)]


def statuses_with_forwarded_addresses(settings, embedder) -> list[int]:
    """GET /v1/sources once per made-up X-Forwarded-For address, over real uvicorn."""
    app = create_app(settings, embedder=embedder)
    with run_service(app, **server_options(settings)) as url:
        return [
            httpx.get(url + "/v1/sources", headers={"X-Forwarded-For": address}).status_code
            for address in FAKE_ADDRESSES
        ]


def test_forwarded_for_from_an_untrusted_peer_does_not_buy_new_buckets(sample_settings, embedder):
    settings = sample_settings.model_copy(update={"rate_limit_per_minute": 3})

    statuses = statuses_with_forwarded_addresses(settings, embedder)

    assert statuses == [200, 200, 200, 429, 429, 429, 429, 429]


def test_forwarded_for_from_a_trusted_proxy_names_the_client(sample_settings, embedder):
    settings = sample_settings.model_copy(
        update={"rate_limit_per_minute": 3, "trusted_proxies": ["127.0.0.1"]}
    )

    statuses = statuses_with_forwarded_addresses(settings, embedder)

    assert statuses == [200] * len(FAKE_ADDRESSES)  # each address has its own bucket


def test_no_proxy_is_trusted_by_default(sample_settings):
    assert sample_settings.trusted_proxies == []
    assert server_options(sample_settings) == {"proxy_headers": False}


@pytest.mark.parametrize(("path", "keys"), [
    ("/v1/sources", {"api_keys": ["reader-secret"]}),
    ("/v1/ingest", {"admin_api_key": "admin-secret"}),
])
def test_guessing_keys_runs_into_the_rate_limit(sample_settings, embedder, path, keys):
    settings = sample_settings.model_copy(update={"rate_limit_per_minute": 5, **keys})
    with TestClient(create_app(settings, embedder=embedder)) as client:
        method = client.get if path == "/v1/sources" else client.post
        statuses = [
            method(path, headers={"Authorization": f"Bearer guess-{n}"}).status_code
            for n in range(8)
        ]
        last = method(path, headers={"Authorization": "Bearer guess-last"})

    assert statuses == [401] * 5 + [429] * 3
    assert last.json()["error"] == "rate_limited" and "retry-after" in last.headers
