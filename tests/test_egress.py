"""The egress policy: ingest never reaches loopback, private or other non-public addresses.

Every refused target here is a real local server that would have answered: the tests prove
it received no request at all, so nothing of it could have been stored and quoted.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.egress import EgressPolicy, address_class
from ingest.fetch import Fetcher, FetchOutcome
from ingest.pipeline import Ingestor
from ingest.sources import Sitemap
from ingest.state import IngestState
from ingest.store import ChromaStore
from tests.conftest import make_settings
from tests.http_server import Reply, SiteServer, html_page, respond, serve_site

# Allowing the name `localhost` lets a test reach one server by name while every address
# form of 127.0.0.1 stays refused.
ALLOW_BY_NAME = EgressPolicy.from_entries(["localhost"])


PUBLIC_TEXT = " ".join(
    ["Staff engineers write design documents, review plans and grow the people around them."]
    * 12
)


def by_name(site: SiteServer, path: str) -> str:
    """`site`'s URL for `path` with the host written `localhost`."""
    return site.url_for(path).replace("127.0.0.1", "localhost", 1)


def fetch_one(url: str, policy: EgressPolicy) -> FetchOutcome:
    async def run() -> FetchOutcome:
        async with Fetcher(user_agent="careerqa-test/1.0", timeout=2.0, retries=0,
                           egress=policy) as fetcher:
            return await fetcher.fetch(url)

    return asyncio.run(run())


@pytest.fixture
def target(tmp_path: Path) -> Iterator[SiteServer]:
    """A loopback server holding a page an attacker would like ingested."""
    root = tmp_path / "target"
    root.mkdir()
    (root / "secret.html").write_bytes(html_page("Secret", "Internal admin token lives here."))
    with serve_site(root, with_bad_pages=False) as site:
        yield site


@pytest.fixture
def front(tmp_path: Path) -> Iterator[SiteServer]:
    """An allowed server (reached as `localhost`) that points elsewhere."""
    root = tmp_path / "front"
    root.mkdir()
    (root / "ok.html").write_bytes(html_page("Fine", PUBLIC_TEXT))
    with serve_site(root, with_bad_pages=False) as site:
        yield site


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
        ("2002:7f00:1::", "loopback"), ("10.1.2.3", "private"), ("fd00::1", "private"),
        ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
        ("239.1.1.1", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"),
        ("::", "unspecified"), ("240.0.0.1", "reserved"), ("100.64.0.1", "non-global"),
        ("93.184.215.14", None), ("2606:4700::1111", None),
    ],
)
def test_address_classes(address: str, kind: str | None) -> None:
    assert address_class(ipaddress.ip_address(address)) == kind


def test_loopback_url_is_refused_by_default_and_never_contacted(target: SiteServer) -> None:
    outcome = fetch_one(target.url_for("secret.html"), EgressPolicy())

    assert outcome.status == "failed" and outcome.reason == "egress_refused"
    assert "loopback" in outcome.detail and "CAREERQA_FETCH_ALLOW" in outcome.detail
    assert target.requests == []


@pytest.mark.parametrize("host", ["localhost", "127.1", "0x7f000001", "2130706433",
                                  "017700000001", "[::ffff:127.0.0.1]"])
def test_every_spelling_of_loopback_is_refused(target: SiteServer, host: str) -> None:
    url = target.url_for("secret.html").replace("127.0.0.1", host, 1)

    outcome = fetch_one(url, EgressPolicy())

    assert outcome.reason == "egress_refused", outcome
    assert target.requests == []


def test_allowlist_names_hosts_and_networks(target: SiteServer) -> None:
    assert fetch_one(by_name(target, "secret.html"), ALLOW_BY_NAME).ok
    assert fetch_one(target.url_for("secret.html"),
                     EgressPolicy.from_entries(["127.0.0.0/8"])).ok
    # A name on the list does not open its address under another spelling.
    numeric = target.url_for("secret.html").replace("127.0.0.1", "127.1", 1)
    assert fetch_one(numeric, ALLOW_BY_NAME).reason == "egress_refused"


def test_redirect_from_an_allowed_server_to_a_refused_one_is_not_followed(
    front: SiteServer, target: SiteServer
) -> None:
    front.routes["/go"] = respond(
        Reply(status=302, headers={"Location": target.url_for("secret.html")})
    )

    outcome = fetch_one(by_name(front, "go"), ALLOW_BY_NAME)

    assert outcome.reason == "egress_refused"
    assert outcome.final_url == target.url_for("secret.html")
    assert front.hits["/go"] == 1 and target.requests == []


def test_sitemap_listing_a_refused_url_records_the_refusal_in_the_audit_log(
    tmp_path: Path, embedder, front: SiteServer, target: SiteServer
) -> None:
    secret = target.url_for("secret.html")
    front.write("sitemap.xml", (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{by_name(front, 'ok.html')}</loc></url><url><loc>{secret}</loc></url>"
        "</urlset>"
    ))
    settings = make_settings(tmp_path / "data", fetch_allow=["localhost"])
    store = ChromaStore.from_settings(settings)
    state = IngestState.from_settings(settings)
    try:
        summary = Ingestor(settings, embedder, store, state, progress=False).run(
            [Sitemap(url=by_name(front, "sitemap.xml"))]
        )
        log = state.log_entries(url=secret)
        record = state.get(secret)
    finally:
        state.close()

    assert summary.failed[secret].startswith("egress_refused: ")
    assert [entry["decision"] for entry in log] == ["failed"]
    assert "loopback" in log[0]["detail"]
    assert record is not None and record.status == "failed" and record.reason == "egress_refused"
    assert {chunk.url for chunk in store.all_chunks()} == {by_name(front, "ok.html")}
    assert target.requests == []


def test_a_refused_sitemap_is_recorded_with_its_reason(
    tmp_path: Path, embedder, target: SiteServer
) -> None:
    settings = make_settings(tmp_path / "data", fetch_allow=[])
    state = IngestState.from_settings(settings)
    sitemap = target.url_for("sitemap.xml")
    try:
        Ingestor(settings, embedder, ChromaStore.from_settings(settings), state,
                 progress=False).run([Sitemap(url=sitemap)])
        log = state.log_entries(url=sitemap)
    finally:
        state.close()

    assert [entry["decision"] for entry in log] == ["sitemap_failed"]
    assert log[0]["detail"].startswith("egress_refused: ")
    assert target.requests == []
