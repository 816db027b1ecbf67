"""Source specs, the sources file, and discovery against a real local HTTP server."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import SAMPLE_SITE_DIR
from ingest.egress import EgressPolicy
from ingest.fetch import Fetcher
from ingest.records import Page
from ingest.sources import (
    Crawl,
    Discovered,
    LocalPath,
    Sitemap,
    SourceSpec,
    UrlFile,
    UrlList,
    Validators,
    discover,
    extract_links,
    load_sources_yaml,
    normalize_url,
    parse_sitemap,
)
from tests.conftest import LOCAL_TEST_HOSTS
from tests.http_server import SiteServer, html_page, serve_site

PROJECT_SOURCES = Path(__file__).resolve().parent.parent / "ingest" / "sources.yaml"

Decision = tuple[str, str, str]


def run_discover(
    specs: list[SourceSpec], validators: Validators | None = None, **fetcher_options: Any
) -> tuple[list[Discovered], list[Decision]]:
    """All work items and audit decisions of one discovery run."""
    decisions: list[Decision] = []
    options = {"user_agent": "careerqa-test/1.0", "timeout": 1.0, "retries": 0,
               "egress": EgressPolicy.from_entries([LOCAL_TEST_HOSTS])}

    async def run() -> list[Discovered]:
        async with Fetcher(**(options | fetcher_options)) as fetcher:
            items = discover(specs, fetcher, lambda *d: decisions.append(d), validators)
            return [item async for item in items]

    return asyncio.run(run()), decisions


def decided(decisions: list[Decision], kind: str) -> set[str]:
    return {url for url, decision, _detail in decisions if decision == kind}


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return root


@pytest.fixture
def blog(tmp_path: Path) -> Iterator[SiteServer]:
    """A small blog: /blog/ links to posts, a tag page, a PDF, and places a crawl must not go.

    Depths from /blog/: a, b, tag/career at 1; deep/c at 2; deep/d at 3.
    """
    links = [
        "a.html",
        "b.html",
        "a.html#comments",
        "tag/career.html",
        "report.pdf",
        "../about.html",
        "http://other.example/elsewhere.html",
        "mailto:editor@example.com",
    ]
    write(
        tmp_path / "site",
        {
            "robots.txt": "User-agent: *\nDisallow: /blog/private/\n",
            "about.html": html_page("About"),
            "blog/index.html": html_page("Blog", links=links),
            "blog/a.html": html_page("A", links=["deep/c.html", "./", "/blog/"]),
            "blog/b.html": html_page("B", links=["a.html", "private/secret.html"]),
            "blog/tag/career.html": html_page("Career tag", links=["../a.html"]),
            "blog/deep/c.html": html_page("C", links=["d.html"]),
            "blog/deep/d.html": html_page("D"),
            "blog/private/secret.html": html_page("Secret"),
        },
    )
    with serve_site(tmp_path / "site") as site:
        yield site


def paths(site: SiteServer, items: list[Discovered]) -> list[str]:
    return [item.url.removeprefix(site.url) for item in items]


# --- crawl


def test_crawl_yields_fetched_pages_so_nothing_is_fetched_twice(blog: SiteServer) -> None:
    items, _ = run_discover([Crawl(blog.url_for("/blog/"), max_depth=3)])

    assert paths(blog, items) == [
        "/blog/",
        "/blog/a.html",
        "/blog/b.html",
        "/blog/tag/career.html",
        "/blog/deep/c.html",
        "/blog/private/secret.html",
        "/blog/deep/d.html",
    ]
    assert all(item.outcome is not None and item.local_page is None for item in items)
    assert all(item.source == f"crawl:{blog.url}/blog/" for item in items)
    assert all(blog.hits[p] <= 1 for p in blog.hits)
    by_path = {p: item.outcome for p, item in zip(paths(blog, items), items, strict=True)}
    assert by_path["/blog/a.html"].status == "fetched"  # type: ignore[union-attr]
    assert by_path["/blog/private/secret.html"].status == "disallowed"  # type: ignore[union-attr]


def test_crawl_stays_in_start_folder_and_skips_non_http_and_binary_links(blog: SiteServer) -> None:
    _, decisions = run_discover([Crawl(blog.url_for("/blog/"))])

    assert decided(decisions, "out_of_scope") == {
        blog.url_for("/about.html"),
        "http://other.example/elsewhere.html",
    }
    assert decided(decisions, "unsupported_url") == {"mailto:editor@example.com"}
    assert decided(decisions, "skipped_extension") == {blog.url_for("/blog/report.pdf")}
    assert blog.hits["/about.html"] == 0 and blog.hits["/blog/report.pdf"] == 0


def test_crawl_depth_limit(blog: SiteServer) -> None:
    items, decisions = run_discover([Crawl(blog.url_for("/blog/"), max_depth=1)])

    assert paths(blog, items) == [
        "/blog/",
        "/blog/a.html",
        "/blog/b.html",
        "/blog/tag/career.html",
    ]
    assert decided(decisions, "depth_limit") == {
        blog.url_for("/blog/deep/c.html"),
        blog.url_for("/blog/private/secret.html"),
    }


def test_crawl_depth_zero_fetches_only_the_start(blog: SiteServer) -> None:
    items, _ = run_discover([Crawl(blog.url_for("/blog/"), max_depth=0)])

    assert paths(blog, items) == ["/blog/"]


def test_crawl_page_limit(blog: SiteServer) -> None:
    items, decisions = run_discover([Crawl(blog.url_for("/blog/"), max_pages=2)], concurrency=1)

    assert paths(blog, items) == ["/blog/", "/blog/a.html"]
    assert decided(decisions, "page_limit") == {
        blog.url_for("/blog/b.html"),
        blog.url_for("/blog/tag/career.html"),
        blog.url_for("/blog/deep/c.html"),
    }
    assert blog.hits["/blog/b.html"] == 0


def test_crawl_exclude_pattern(blog: SiteServer) -> None:
    items, decisions = run_discover([Crawl(blog.url_for("/blog/"), exclude=["/tag/", "private"])])

    assert "/blog/tag/career.html" not in paths(blog, items)
    assert "/blog/deep/d.html" in paths(blog, items)
    assert decided(decisions, "excluded_by_pattern") == {
        blog.url_for("/blog/tag/career.html"),
        blog.url_for("/blog/private/secret.html"),
    }


def test_crawl_include_pattern_neither_fetches_nor_follows_other_links(blog: SiteServer) -> None:
    items, decisions = run_discover([Crawl(blog.url_for("/blog/"), include=[r"/[ab]\.html$"])])

    # The start page is always fetched; deep/ is reachable only through a rejected link.
    assert paths(blog, items) == ["/blog/", "/blog/a.html", "/blog/b.html"]
    assert blog.url_for("/blog/tag/career.html") in decided(decisions, "excluded_by_pattern")
    assert blog.hits["/blog/deep/d.html"] == 0


def test_recrawl_with_validators_sends_conditional_requests(blog: SiteServer) -> None:
    """Without remembered links, a not_modified page has no body to follow links from."""
    first, _ = run_discover([Crawl(blog.url_for("/blog/"))])
    stored = {
        item.url: (item.outcome.page.etag, item.outcome.page.last_modified)
        for item in first
        if item.outcome is not None and item.outcome.page is not None
    }

    items, _ = run_discover([Crawl(blog.url_for("/blog/"))], validators=stored.get)

    assert [(i.url, i.outcome and i.outcome.status) for i in items] == [
        (blog.url_for("/blog/"), "not_modified")
    ]


def test_page_named_by_an_earlier_source_is_crawled_through_but_not_repeated(
    blog: SiteServer,
) -> None:
    items, decisions = run_discover(
        [UrlList([blog.url_for("/blog/a.html")]), Crawl(blog.url_for("/blog/"))]
    )

    yielded = paths(blog, items)
    assert yielded.count("/blog/a.html") == 1 and items[0].outcome is None
    assert "/blog/deep/c.html" in yielded  # reached through a.html all the same
    assert decided(decisions, "duplicate_url") == {blog.url_for("/blog/a.html")}


# --- URL lists and sitemaps


def test_url_list_and_file_normalize_and_deduplicate(tmp_path: Path) -> None:
    url_file = tmp_path / "urls.txt"
    url_file.write_text(
        "# career reading list\n\nHTTPS://Example.com:443/a#intro\n  https://example.com/b  \n"
        "ftp://example.com/c\n"
    )

    items, decisions = run_discover(
        [UrlList(["https://example.com/a", "https://example.com"]), UrlFile(url_file)]
    )

    assert [(i.url, i.source) for i in items] == [
        ("https://example.com/a", "urls"),
        ("https://example.com/", "urls"),
        ("https://example.com/b", f"url_file:{url_file}"),
    ]
    assert all(i.outcome is None and i.local_page is None for i in items)
    assert decided(decisions, "duplicate_url") == {"https://example.com/a"}
    assert decided(decisions, "unsupported_url") == {"ftp://example.com/c"}


def test_sitemap_index_with_relative_locs(tmp_path: Path) -> None:
    urlset = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</urlset>'
    index = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</sitemapindex>'
    with serve_site(tmp_path) as site:
        write(
            tmp_path,
            {
                "sitemap.xml": index.format(
                    "<sitemap><loc>maps/posts.xml</loc></sitemap>"
                    "<sitemap><loc> /maps/more.xml </loc></sitemap>"
                    "<sitemap><loc>maps/missing.xml</loc></sitemap>"
                    "<sitemap><loc>maps/broken.xml</loc></sitemap>"
                ),
                "maps/posts.xml": urlset.format(
                    "<url><loc>../blog/a.html</loc></url>"
                    "<url><loc>b.html</loc></url>"
                    f"<url><loc>{site.url}/about.html</loc></url>"
                ),
                "maps/more.xml": urlset.format("<url><loc>/blog/a.html</loc></url>"),
                "maps/broken.xml": "<urlset><url><loc>x</loc></url>",
            },
        )

        items, decisions = run_discover([Sitemap(site.url_for("/sitemap.xml"))])

    assert paths(site, items) == ["/blog/a.html", "/maps/b.html", "/about.html"]
    assert all(i.outcome is None and i.source == f"sitemap:{site.url}/sitemap.xml" for i in items)
    assert decided(decisions, "duplicate_url") == {site.url_for("/blog/a.html")}
    assert decided(decisions, "sitemap_failed") == {site.url_for("/maps/missing.xml")}
    assert decided(decisions, "sitemap_invalid") == {site.url_for("/maps/broken.xml")}


def test_sample_site_sitemap_lists_published_pages_only() -> None:
    if not (SAMPLE_SITE_DIR / "sitemap.xml").exists():
        pytest.skip("sample site not written yet")
    with serve_site(SAMPLE_SITE_DIR) as site:
        items, decisions = run_discover([Sitemap(site.url_for("/sitemap.xml"))])

    assert items and not decided(decisions, "sitemap_failed")
    assert all(i.url.startswith(site.url + "/") for i in items)
    assert not [i for i in items if "/drafts/" in i.url]


def test_parse_sitemap_rejects_non_sitemaps() -> None:
    assert parse_sitemap("<urlset><url><loc>a</loc></url></urlset>", "http://x/s.xml") == (
        "urlset",
        ["http://x/a"],
    )
    with pytest.raises(ValueError, match="neither"):
        parse_sitemap("<html><body/></html>", "http://x/s.xml")
    with pytest.raises(ValueError, match="XML"):
        parse_sitemap("not xml at all", "http://x/s.xml")


# --- local files


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    return write(
        tmp_path / "notes",
        {
            "growth.md": "# Growth\n\nFind a sponsor, not only a mentor.\n",
            "guides/staff.html": html_page("Staff", "Write the strategy down."),
            "guides/on call.htm": html_page("On call"),
            "guides/legacy.markdown": "Legacy notes café\n",
            "todo.txt": "not an article",
            ".drafts/secret.md": "# hidden",
            "broken.html": b"<meta charset='utf-8'><p>\xff\xfe</p>",
        },
    )


def test_local_folder_yields_html_and_markdown_pages_under_base_url(notes: Path) -> None:
    items, decisions = run_discover([LocalPath(notes, base_url="https://notes.example/kb")])

    pages = {i.url: i.local_page for i in items}
    assert list(pages) == [
        "https://notes.example/kb/growth.md",
        "https://notes.example/kb/guides/legacy.markdown",
        "https://notes.example/kb/guides/on%20call.htm",
        "https://notes.example/kb/guides/staff.html",
    ]
    assert all(isinstance(page, Page) for page in pages.values())
    assert pages["https://notes.example/kb/growth.md"].content_type == "text/markdown"  # type: ignore[union-attr]
    staff = pages["https://notes.example/kb/guides/staff.html"]
    assert staff is not None and staff.content_type == "text/html" and b"strategy" in staff.body
    assert staff.url == "https://notes.example/kb/guides/staff.html" and staff.fetched_at
    assert all(i.outcome is None and i.source == f"local:{notes}" for i in items)
    assert decided(decisions, "unsupported_file_type") == {"https://notes.example/kb/todo.txt"}
    assert decided(decisions, "invalid_encoding") == {"https://notes.example/kb/broken.html"}


def test_local_file_without_base_url_gets_a_file_uri(notes: Path) -> None:
    items, _ = run_discover([LocalPath(notes / "growth.md")])

    assert [i.url for i in items] == [(notes / "growth.md").resolve().as_uri()]
    assert items[0].local_page is not None and items[0].local_page.encoding == "utf-8"


def test_missing_local_path_is_reported_not_raised(tmp_path: Path) -> None:
    items, decisions = run_discover([LocalPath(tmp_path / "nowhere")])

    assert items == [] and decided(decisions, "source_missing") == {str(tmp_path / "nowhere")}


# --- the sources file


def test_sources_yaml_loads_every_kind_of_source(tmp_path: Path) -> None:
    write(tmp_path, {"lists/urls.txt": "https://a.example/y.html\n", "notes/n.md": "# n"})
    (tmp_path / "sources.yaml").write_text(
        """
sources:
  - urls: [https://a.example/x.html]
  - url_file: lists/urls.txt
  - sitemap: https://a.example/sitemap.xml
  - crawl: {start: https://a.example/blog/, max_depth: 2, max_pages: 100,
            include: ["/blog/"], exclude: ["/tag/"]}
  - crawl: https://b.example/
  - local: {path: ./notes, base_url: https://notes.example/}
  - local: notes/n.md
"""
    )

    specs = load_sources_yaml(tmp_path / "sources.yaml", default_max_depth=4)

    assert specs == [
        UrlList(["https://a.example/x.html"]),
        UrlFile((tmp_path / "lists" / "urls.txt").resolve()),
        Sitemap("https://a.example/sitemap.xml"),
        Crawl("https://a.example/blog/", 2, 100, include=["/blog/"], exclude=["/tag/"]),
        Crawl("https://b.example/", max_depth=4, max_pages=500),
        LocalPath((tmp_path / "notes").resolve(), "https://notes.example/"),
        LocalPath((tmp_path / "notes" / "n.md").resolve()),
    ]


def test_project_sources_file_is_valid() -> None:
    specs = load_sources_yaml(PROJECT_SOURCES)

    assert isinstance(specs[0], Sitemap)
    assert any(isinstance(spec, LocalPath) for spec in specs)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources: [urls: [http://a.example/\n", "invalid YAML"),
        ("- urls: [http://a.example/]\n", "'sources' list"),
        ("sources:\n  - sitemaps: http://a.example/s.xml\n", "unknown key 'sitemaps'"),
        ("sources:\n  - crawl: {start: http://a.example/, depth: 2}\n", "unknown key 'depth'"),
        ("sources:\n  - crawl: {start: http://a.example/, exclude: ['(']}\n", "invalid regex"),
        ("sources:\n  - crawl: {start: http://a.example/, max_pages: lots}\n", "max_pages"),
        ("sources:\n  - urls: [a.example/page]\n", "http(s) URL"),
        ("sources:\n  - url_file: missing.txt\n", "does not exist"),
        ("sources:\n  - urls: []\n    sitemap: http://a.example/s.xml\n", "one of"),
        ("sources:\n  - local: {base_url: http://a.example/}\n", "'path'"),
        ("sources: []\nextra: 1\n", "unknown key 'extra'"),
    ],
)
def test_bad_sources_file_is_a_clear_value_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(text)

    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        load_sources_yaml(path)

    assert str(path) in str(caught.value)


def test_crawl_spec_validates_itself() -> None:
    with pytest.raises(ValueError, match="http"):
        Crawl("ftp://a.example/")
    with pytest.raises(ValueError, match="max_pages"):
        Crawl("http://a.example/", max_pages=0)


# --- URLs and links (pure)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.COM:80/a#top", "http://example.com/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:8443/x?q=1", "https://example.com:8443/x?q=1"),
        ("mailto:someone@example.com", None),
        ("javascript:void(0)", None),
        ("/relative", None),
    ],
)
def test_normalize_url(raw: str, expected: str | None) -> None:
    assert normalize_url(raw) == expected


def test_crawl_scope_is_start_folder_on_same_origin() -> None:
    crawl = Crawl("http://a.example/blog/index.html")

    assert crawl.in_scope("http://a.example/blog/post.html")
    assert not crawl.in_scope("http://a.example/blogroll.html")
    assert not crawl.in_scope("https://a.example/blog/post.html")
    assert not crawl.in_scope("http://a.example:8080/blog/post.html")


def test_extract_links_resolves_against_base_href() -> None:
    body = b'<base href="/docs/"><a href="x.html#s">x</a><a href="x.html">again</a><a href="#top">'
    page = Page(url="http://a.example/blog/post.html", body=body)

    assert extract_links(page) == ["http://a.example/docs/x.html"]
