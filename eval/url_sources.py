"""The text behind a citation that names only a URL: the local store's copy, else the live page.

Systems such as Perplexity cite pages, not passages (`[^1]: https://blog.example/a.html`).
To judge such a citation we need the page's text: the local store has it when the page
was ingested (its chunks joined back into the document text), otherwise the page is
fetched and extracted by the ingest pipeline itself (`ingest.fetch` + `ingest.extract`),
so it reads exactly as an ingest of it would. Every resolution records where its text
came from ("store", "fetched" or "unresolved" with the reason) for the report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from core.settings import Settings
    from eval.corpus import Corpus
    from ingest.fetch import Fetcher

Via = Literal["store", "fetched", "unresolved"]


@dataclass(frozen=True)
class ResolvedPage:
    """A cited URL and the text found for it; `detail` says why when there is none."""

    url: str
    text: str | None
    via: Via
    detail: str = ""


def page_key(url: str) -> str:
    """A URL without its fragment (`#:~:text=` links name the same page)."""
    return url.split("#", 1)[0]


class UrlResolver:
    """Resolves cited URLs to page text, once per page: the store first, then a fetch.

    `store_pages` is the local store as a corpus (None when there is no store); with
    `settings` None nothing is fetched and a page outside the store stays unresolved.
    """

    def __init__(self, store_pages: Corpus | None, settings: Settings | None) -> None:
        self.store_pages = store_pages
        self.settings = settings
        self._pages: dict[str, ResolvedPage] = {}

    def resolve(self, url: str) -> ResolvedPage:
        key = page_key(url)
        if key not in self._pages:
            self.prefetch([url])
        return self._pages[key]

    def prefetch(self, urls: Iterable[str]) -> None:
        """Resolve many URLs, fetching the ones the store lacks concurrently."""
        to_fetch: list[str] = []
        for url in dict.fromkeys(page_key(u) for u in urls):
            if url in self._pages:
                continue
            text = self.store_pages.text_for(url) if self.store_pages is not None else None
            if text:
                self._pages[url] = ResolvedPage(url, text, "store")
            elif not url.startswith(("http://", "https://")):
                self._pages[url] = ResolvedPage(url, None, "unresolved", "not an http(s) URL")
            elif self.settings is None:
                self._pages[url] = ResolvedPage(url, None, "unresolved", "not in the store")
            else:
                to_fetch.append(url)
        if to_fetch:
            for page in asyncio.run(self._fetch_all(to_fetch)):
                self._pages[page.url] = page

    async def _fetch_all(self, urls: list[str]) -> list[ResolvedPage]:
        from ingest.fetch import Fetcher

        assert self.settings is not None
        async with Fetcher.from_settings(self.settings) as fetcher:
            return list(await asyncio.gather(*(self._fetch(fetcher, u) for u in urls)))

    @staticmethod
    async def _fetch(fetcher: Fetcher, url: str) -> ResolvedPage:
        from ingest.errors import ExtractionError
        from ingest.extract import extract

        outcome = await fetcher.fetch(url)
        if outcome.page is None:
            return ResolvedPage(url, None, "unresolved",
                                f"fetch failed: {outcome.reason or outcome.status}")
        try:
            text = extract(outcome.page).text
        except ExtractionError as exc:
            return ResolvedPage(url, None, "unresolved", f"no main text: {exc}")
        return ResolvedPage(url, text, "fetched")
