"""/docs and /redoc work with no network: every script and stylesheet is served by the app."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.widget_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, run_service

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\s*:\s*['"]([^'"]+)['"]""")


def assets(html: str) -> list[str]:
    return [a or b for a, b in ASSET.findall(html)]


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_load_their_scripts_and_css_from_the_app(client, path):
    page = client.get(path)
    assert page.status_code == 200

    urls = assets(page.text)
    assert any(u.endswith(".js") for u in urls), urls
    if path == "/docs":
        assert any(u.endswith(".css") for u in urls), urls
    for url in urls:
        assert not urlsplit(url).netloc, f"{path} loads {url} from another host"
        assert client.get(url).status_code == 200, url


def test_swagger_ui_renders_the_api_in_chromium_with_the_network_cut_off(
    sample_settings, embedder
):
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("needs Debian's chromium")
    from app.main import create_app

    outside: list[tuple[str, str]] = []

    def only_loopback(route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append((route.request.resource_type, route.request.url))
            route.abort()

    with run_service(create_app(sample_settings, embedder=embedder)) as url, \
            playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            page.route("**/*", only_loopback)
            page.goto(url + "/docs")
            page.get_by_text("/v1/ask/stream", exact=True).first.wait_for(timeout=30_000)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "docs-offline.png"))
            page.goto(url + "/redoc")
            # ReDoc has run and laid out the spec (the menu entry exists, folded away).
            page.get_by_text("Answer a question with checked citations").first.wait_for(
                state="attached", timeout=30_000)
        finally:
            browser.close()

    # ReDoc's bundle shows its maker's logo from a CDN in the menu footer; offline the image
    # hides itself. Nothing the pages need (scripts, styles, fonts, the spec) comes from outside.
    assert [(kind, url) for kind, url in outside if kind != "image"] == []
