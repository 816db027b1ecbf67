"""The fetch stage against a real local HTTP server: each failure has its reason code."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from ingest.egress import EgressPolicy
from ingest.errors import FetchError
from ingest.fetch import Fetcher, FetchOutcome, detect_encoding, parse_retry_after
from tests.conftest import LOCAL_TEST_HOSTS
from tests.http_server import Reply, Request, SiteServer, content, html_page, serve_site, status

USER_AGENT = "careerqa-test/1.0 (+https://example.invalid/bot)"


def make_fetcher(**overrides: Any) -> Fetcher:
    """A fetcher with test-sized limits: sub-second timeouts and near-zero pauses."""
    options: dict[str, Any] = {
        "user_agent": USER_AGENT,
        "concurrency": 4,
        "timeout": 1.0,
        "retries": 2,
        "max_bytes": 64_000,
        "max_redirects": 5,
        "max_retry_after": 0.05,
        "backoff_base": 0.01,
        "egress": EgressPolicy.from_entries([LOCAL_TEST_HOSTS]),
    }
    return Fetcher(**(options | overrides))


def fetch(*urls: str, **overrides: Any) -> list[FetchOutcome]:
    """Fetch `urls` one after another with one fetcher (so robots.txt is cached between)."""

    async def run() -> list[FetchOutcome]:
        async with make_fetcher(**overrides) as fetcher:
            return [await fetcher.fetch(url) for url in urls]

    return asyncio.run(run())


def fetch_one(url: str, **overrides: Any) -> FetchOutcome:
    return fetch(url, **overrides)[0]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteServer]:
    root = tmp_path / "site"
    (root / "private").mkdir(parents=True)
    (root / "index.html").write_bytes(html_page("Home", links=["article.html"]))
    (root / "article.html").write_bytes(html_page("Article", "Staff engineers write docs."))
    (root / "private" / "secret.html").write_bytes(html_page("Secret"))
    (root / "private" / "urls.txt").write_text("https://a.example/x\n")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>article.html</loc></url></urlset>"
    )
    with serve_site(root) as server:
        yield server


# --- success


def test_fetches_html_page_with_validators_and_utc_timestamp(site: SiteServer) -> None:
    outcome = fetch_one(site.url_for("/article.html"))

    assert outcome.status == "fetched" and outcome.ok
    assert outcome.reason is None and outcome.http_status == 200 and outcome.attempts == 1
    page = outcome.page
    assert page is not None
    assert page.url == outcome.final_url == site.url_for("/article.html")
    assert b"Staff engineers write docs." in page.body
    assert page.content_type == "text/html" and page.encoding == "utf-8"
    assert page.etag and page.last_modified
    fetched_at = datetime.fromisoformat(page.fetched_at)
    assert fetched_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - fetched_at) < timedelta(minutes=1)


def test_sends_a_clear_user_agent(site: SiteServer) -> None:
    fetch_one(site.url_for("/article.html"))

    assert {r.headers["user-agent"] for r in site.requests} == {USER_AGENT}


def test_charset_from_meta_tag_when_header_has_none(site: SiteServer) -> None:
    body = b"<html><head><meta charset='iso-8859-1'></head><body><p>caf\xe9</p></body></html>"
    site.routes["/latin1"] = content(body, "text/html")

    page = fetch_one(site.url_for("/latin1")).page

    assert page is not None and page.encoding == "iso8859-1"
    assert "café" in page.body.decode(page.encoding)


def test_follows_redirect_chain_to_final_url(site: SiteServer) -> None:
    outcome = fetch_one(site.url_for("/bad/redirect/3"))

    assert outcome.status == "fetched"
    assert outcome.final_url == site.url_for("/bad/redirect/0")
    assert outcome.page is not None and outcome.page.url == outcome.final_url
    assert outcome.attempts == 4  # one request per hop


def test_from_settings_takes_every_knob() -> None:
    settings = Settings(
        _env_file=None,
        user_agent="ua/1",
        crawl_concurrency=3,
        crawl_host_delay=0.5,
        fetch_timeout=2.0,
        fetch_retries=1,
        fetch_max_bytes=2048,
        fetch_max_redirects=2,
        max_retry_after=0.1,
    )

    fetcher = Fetcher.from_settings(settings)

    assert (fetcher.user_agent, fetcher.concurrency, fetcher.host_delay) == ("ua/1", 3, 0.5)
    assert (fetcher.timeout, fetcher.retries, fetcher.max_bytes) == (2.0, 1, 2048)
    assert (fetcher.max_redirects, fetcher.max_retry_after) == (2, 0.1)


def test_using_a_fetcher_outside_its_context_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(make_fetcher().fetch("http://127.0.0.1:1/"))


# --- conditional GET


def test_conditional_get_with_etag_or_last_modified_is_not_modified(site: SiteServer) -> None:
    url = site.url_for("/article.html")

    async def run() -> list[FetchOutcome]:
        async with make_fetcher() as fetcher:
            first = await fetcher.fetch(url)
            assert first.page is not None
            by_etag = await fetcher.fetch(url, etag=first.page.etag)
            by_date = await fetcher.fetch(url, last_modified=first.page.last_modified)
            return [first, by_etag, by_date]

    first, by_etag, by_date = asyncio.run(run())

    assert first.page is not None
    for outcome in (by_etag, by_date):
        assert outcome.status == "not_modified"
        assert outcome.http_status == 304 and outcome.page is None and outcome.reason is None
    conditional = [r for r in site.requests if r.path == "/article.html"][1:]
    assert conditional[0].headers["if-none-match"] == first.page.etag
    assert conditional[1].headers["if-modified-since"] == first.page.last_modified


def test_changed_page_is_fetched_again_despite_old_validators(site: SiteServer) -> None:
    url = site.url_for("/article.html")
    first = fetch_one(url).page
    assert first is not None

    site.write("article.html", html_page("Article", "Rewritten: principal engineers too."))

    async def run() -> list[FetchOutcome]:
        async with make_fetcher() as fetcher:
            return [
                await fetcher.fetch(url, etag=first.etag),
                await fetcher.fetch(url, last_modified=first.last_modified),
            ]

    for outcome in asyncio.run(run()):
        assert outcome.status == "fetched" and outcome.page is not None
        assert b"Rewritten" in outcome.page.body
        assert outcome.page.etag != first.etag


# --- failures, one reason each


def test_404_fails_with_http_404_without_retrying(site: SiteServer) -> None:
    outcome = fetch_one(site.url_for("/bad/404"))

    assert (outcome.status, outcome.reason, outcome.http_status) == ("failed", "http_404", 404)
    assert outcome.attempts == 1 and site.hits["/bad/404"] == 1
    assert "404" in outcome.detail


def test_persistent_500_is_retried_then_fails_with_http_500(site: SiteServer) -> None:
    outcome = fetch_one(site.url_for("/bad/500"), retries=2)

    assert (outcome.status, outcome.reason, outcome.http_status) == ("failed", "http_500", 500)
    assert outcome.attempts == 3 and site.hits["/bad/500"] == 3
    assert "after 3 attempts" in outcome.detail


def test_transient_500_recovers_on_retry(site: SiteServer) -> None:
    outcome = fetch_one(site.url_for("/bad/500-once"))

    assert outcome.status == "fetched" and outcome.attempts == 2


def test_429_is_retried_after_retry_after_capped_by_max_retry_after(site: SiteServer) -> None:
    # The server asks for 1 s; the cap of 0.3 s is what we wait, not the 0.01 s backoff.
    started = time.monotonic()
    outcome = fetch_one(site.url_for("/bad/429"), max_retry_after=0.3)
    elapsed = time.monotonic() - started

    assert outcome.status == "fetched" and outcome.attempts == 2
    assert site.hits["/bad/429"] == 2
    assert 0.3 <= elapsed < 1.0  # the capped wait, not the 1 s the server asked for


def test_429_with_http_date_retry_after_is_retried(site: SiteServer) -> None:
    outcome = fetch_one(site.url_for("/bad/429-date"))

    assert outcome.status == "fetched" and outcome.attempts == 2


def test_429_that_never_ends_fails_with_http_429(site: SiteServer) -> None:
    site.routes["/always-429"] = lambda _request: Reply(status=429, headers={"Retry-After": "9"})

    outcome = fetch_one(site.url_for("/always-429"), retries=1)

    assert (outcome.reason, outcome.attempts) == ("http_429", 2)


def test_slow_page_times_out(site: SiteServer) -> None:
    outcome = fetch_one(site.url_for("/bad/slow"), timeout=0.3, retries=1)

    assert (outcome.status, outcome.reason) == ("failed", "timeout")
    assert outcome.attempts == 2


def test_streamed_page_past_max_bytes_is_too_large(site: SiteServer) -> None:
    outcome = fetch_one(site.url_for("/bad/huge"), max_bytes=64_000)

    assert (outcome.status, outcome.reason) == ("failed", "too_large")
    assert outcome.attempts == 1  # not worth retrying


def test_declared_length_past_max_bytes_is_too_large(site: SiteServer) -> None:
    outcome = fetch_one(site.url_for("/bad/huge-declared"), max_bytes=64_000)

    assert outcome.reason == "too_large" and "Content-Length" in outcome.detail


@pytest.mark.parametrize("path", ["/bad/pdf", "/bad/png", "/bad/no-content-type"])
def test_non_html_content_is_rejected(site: SiteServer, path: str) -> None:
    outcome = fetch_one(site.url_for(path))

    assert (outcome.status, outcome.reason, outcome.http_status) == ("failed", "not_html", 200)


def test_body_invalid_in_its_declared_charset_is_invalid_encoding(site: SiteServer) -> None:
    outcome = fetch_one(site.url_for("/bad/invalid-utf8"))

    assert (outcome.status, outcome.reason) == ("failed", "invalid_encoding")
    assert "utf-8" in outcome.detail


def test_redirect_chain_longer_than_max_redirects_fails(site: SiteServer) -> None:
    outcome = fetch_one(site.url_for("/bad/redirect/3"), max_redirects=2)

    assert (outcome.status, outcome.reason) == ("failed", "too_many_redirects")


def test_redirect_loop_fails_without_going_round(site: SiteServer) -> None:
    outcome = fetch_one(site.url_for("/bad/loop-a"), max_redirects=20)

    assert outcome.reason == "too_many_redirects" and "loop" in outcome.detail
    assert site.hits["/bad/loop-a"] == 1 and site.hits["/bad/loop-b"] == 1


def test_unreachable_host_is_connect_error_after_retries() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago has no listener
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    outcome = fetch_one(f"http://127.0.0.1:{port}/page.html", retries=1)

    assert (outcome.status, outcome.reason) == ("failed", "connect_error")
    assert outcome.attempts == 2


def test_non_http_url_is_invalid_url() -> None:
    outcome = fetch_one("ftp://example.com/file.html")

    assert (outcome.status, outcome.reason, outcome.attempts) == ("failed", "invalid_url", 0)


# --- robots.txt and politeness


def test_robots_disallowed_page_is_not_requested(site: SiteServer) -> None:
    outcome = fetch_one(site.url_for("/private/secret.html"))

    assert (outcome.status, outcome.reason) == ("disallowed", "robots_disallowed")
    assert outcome.page is None and site.hits["/private/secret.html"] == 0


def test_redirect_into_disallowed_path_is_disallowed(site: SiteServer) -> None:
    site.routes["/go-private"] = lambda _r: Reply(301, headers={"Location": "/private/secret.html"})

    outcome = fetch_one(site.url_for("/go-private"))

    assert outcome.status == "disallowed"
    assert outcome.final_url == site.url_for("/private/secret.html")
    assert site.hits["/private/secret.html"] == 0


def test_robots_txt_is_fetched_once_per_host(site: SiteServer) -> None:
    urls = [site.url_for(p) for p in ("/", "/article.html", "/private/secret.html", "/bad/404")]

    async def run() -> None:
        async with make_fetcher() as fetcher:
            await asyncio.gather(*(fetcher.fetch(url) for url in urls))

    asyncio.run(run())

    assert site.hits["/robots.txt"] == 1


def test_missing_robots_txt_allows_everything(tmp_path: Path) -> None:
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "page.html").write_bytes(html_page("Open"))
    with serve_site(tmp_path) as site:
        outcome = fetch_one(site.url_for("/private/page.html"))

    assert outcome.status == "fetched" and site.hits["/robots.txt"] == 1


def test_robots_txt_server_error_is_treated_as_allow(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_bytes(html_page("Open"))
    with serve_site(tmp_path) as site:
        site.routes["/robots.txt"] = status(503)
        outcome = fetch_one(site.url_for("/page.html"), retries=0)

    assert outcome.status == "fetched"


def test_robots_rules_for_our_user_agent_apply(tmp_path: Path) -> None:
    (tmp_path / "robots.txt").write_text(
        "User-agent: *\nDisallow:\n\nUser-agent: careerqa-test\nDisallow: /\n"
    )
    (tmp_path / "page.html").write_bytes(html_page("Page"))
    with serve_site(tmp_path) as site:
        ours, other = (
            fetch_one(site.url_for("/page.html")),
            fetch_one(site.url_for("/page.html"), user_agent="someone-else/2.0"),
        )

    assert ours.status == "disallowed" and other.status == "fetched"


def test_host_delay_spaces_requests_to_one_host(site: SiteServer) -> None:
    urls = [site.url_for("/article.html"), site.url_for("/"), site.url_for("/bad/404")]

    async def run() -> None:
        async with make_fetcher(host_delay=0.15) as fetcher:
            await asyncio.gather(*(fetcher.fetch(url) for url in urls))

    started = time.monotonic()
    asyncio.run(run())

    # robots.txt plus three pages: three gaps of at least 0.15 s, even when fetched together
    assert time.monotonic() - started >= 0.45


def test_crawl_delay_larger_than_host_delay_is_honoured(tmp_path: Path) -> None:
    (tmp_path / "robots.txt").write_text("User-agent: *\nCrawl-delay: 0.3\n")
    (tmp_path / "page.html").write_bytes(html_page("Page"))
    with serve_site(tmp_path) as site:
        started = time.monotonic()
        outcomes = fetch(site.url_for("/page.html"), site.url_for("/page.html"), host_delay=0)
        elapsed = time.monotonic() - started

    assert [o.status for o in outcomes] == ["fetched", "fetched"]
    assert elapsed >= 0.3  # the two page requests are 0.3 s apart


def test_concurrency_is_bounded(site: SiteServer) -> None:
    lock, in_flight, peak = threading.Lock(), [0], [0]

    def busy(_request: Request) -> Reply:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.1)
        with lock:
            in_flight[0] -= 1
        return Reply(body=html_page("Busy"))

    for i in range(6):
        site.routes[f"/busy/{i}"] = busy

    async def run() -> list[FetchOutcome]:
        async with make_fetcher(concurrency=2) as fetcher:
            return list(
                await asyncio.gather(*(fetcher.fetch(site.url_for(f"/busy/{i}")) for i in range(6)))
            )

    assert all(o.ok for o in asyncio.run(run()))
    assert peak[0] == 2


# --- fetch_text


def test_fetch_text_returns_xml_and_ignores_robots(site: SiteServer) -> None:
    async def run() -> tuple[str, str]:
        async with make_fetcher() as fetcher:
            return (
                await fetcher.fetch_text(site.url_for("/sitemap.xml")),
                await fetcher.fetch_text(site.url_for("/private/urls.txt")),
            )

    sitemap, urls = asyncio.run(run())

    assert "<loc>article.html</loc>" in sitemap
    assert urls == "https://a.example/x\n"


@pytest.mark.parametrize(("path", "reason"), [("/bad/404", "http_404"), ("/bad/png", "not_html")])
def test_fetch_text_raises_fetch_error_with_reason(
    site: SiteServer, path: str, reason: str
) -> None:
    async def run() -> str:
        async with make_fetcher() as fetcher:
            return await fetcher.fetch_text(site.url_for(path))

    with pytest.raises(FetchError) as caught:
        asyncio.run(run())

    assert caught.value.reason == reason


# --- pure helpers


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)

    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_encoding_comes_from_bom_then_header_then_meta_then_utf8() -> None:
    meta = b"<meta charset='windows-1252'><p>x</p>"

    assert detect_encoding(b"\xef\xbb\xbf<p>x</p>", "text/html; charset=latin-1") == "utf-8-sig"
    assert detect_encoding(meta, "text/html; charset=ISO-8859-1") == "iso8859-1"
    assert detect_encoding(meta, "text/html") == "cp1252"
    assert detect_encoding(b"<p>x</p>", "text/html; charset=no-such-charset") == "utf-8"
    assert detect_encoding(b'<?xml version="1.0" encoding="ISO-8859-1"?><a/>') == "iso8859-1"
