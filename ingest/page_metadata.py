"""Metadata of an HTML page: title, canonical URL, author and publication date.

Read from <meta> tags, JSON-LD and the page's own markup, skipping page furniture
(a comment's author, a sidebar's date).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit, urlunsplit

from bs4 import (
    BeautifulSoup,
    Tag,
)

from ingest.clutter import in_furniture
from ingest.element_text import collapse, inline_text
from ingest.titles import strip_site_suffix

_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref)$", re.IGNORECASE)
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%m/%d/%Y")
_ARTICLE_TYPES = {
    "article", "newsarticle", "blogposting", "techarticle", "report", "scholarlyarticle",
    "webpage", "posting", "analysisnewsarticle", "opinionnewsarticle",
}  # fmt: skip


def meta_index(soup: BeautifulSoup) -> dict[str, str]:
    """Every <meta> content by lower-cased name/property/itemprop (first one wins)."""
    index: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        content = collapse(str(tag.get("content") or ""))
        for attr in ("property", "name", "itemprop"):
            if content and (key := str(tag.get(attr) or "").lower()):
                index.setdefault(key, content)
    return index


def _meta(index: dict[str, str], *keys: str) -> str | None:
    return next((index[key] for key in keys if key in index), None)


def json_ld(soup: BeautifulSoup) -> dict:
    """The first JSON-LD object describing an article (searching lists and @graph)."""
    for script in soup.find_all("script", attrs={"type": re.compile("ld\\+json", re.I)}):
        try:
            data = json.loads(script.get_text(), strict=False)
        except ValueError:
            continue
        for item in _ld_items(data):
            types = item.get("@type")
            names = [types] if isinstance(types, str) else types if isinstance(types, list) else []
            if any(str(t).lower() in _ARTICLE_TYPES for t in names):
                return item
    return {}


def _ld_items(data: object) -> Iterator[dict]:
    if isinstance(data, list):
        for item in data:
            yield from _ld_items(item)
    elif isinstance(data, dict):
        yield data
        yield from _ld_items(data.get("@graph"))


def html_title(soup: BeautifulSoup, metas: dict[str, str], ld: dict) -> str:
    """og:title; the <h1> that the <title> names; the article's <h1>; the first <h1> outside
    furniture; JSON-LD headline; the <title> minus the site's name (see ingest/titles.py)."""
    site = _meta(metas, "og:site_name")
    head = strip_site_suffix(collapse(soup.title.get_text()), site) if soup.title else ""

    def candidates() -> Iterator[str | None]:  # lazily, as in `html_published`
        yield _meta(metas, "og:title", "twitter:title")
        h1s = [inline_text(h) for h in soup.find_all("h1") if not in_furniture(h)]
        yield next((h for h in h1s if head and h.lower() == head.lower()), None)
        article_h1 = soup.select_one("article h1, main h1, [role=main] h1")
        yield inline_text(article_h1) if isinstance(article_h1, Tag) else None
        yield h1s[0] if h1s else None
        yield str(ld.get("headline") or "") or None
        yield head

    for candidate in candidates():
        if candidate and (title := strip_site_suffix(collapse(candidate), site)):
            return title
    return ""


def html_canonical(soup: BeautifulSoup, url: str) -> str | None:
    link = soup.find("link", rel="canonical", href=True)
    if not isinstance(link, Tag):
        return None
    href = str(link.get("href") or "").strip()
    if not href:
        return None
    parts = urlsplit(urldefrag(urljoin(url, href)).url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def html_author(soup: BeautifulSoup, metas: dict[str, str], ld: dict) -> str | None:
    author = _meta(metas, "author", "article:author", "dc.creator")
    if author and not author.startswith("http"):  # article:author is often a profile URL
        return clean_author(author)
    if author := ld_names(ld.get("author")):
        return author
    for selector in ('[rel="author"]', '[itemprop="author"]', ".author", ".byline"):
        tag = _first_in_article(soup, selector)
        if tag is not None and (name := clean_author(tag.get_text())):
            return name
    return None


def _first_in_article(soup: BeautifulSoup, selector: str) -> Tag | None:
    """First match outside page furniture, so a comment's author or a sidebar date is skipped.

    The byline's own tokens ("byline", "author", "meta") do not count as furniture here.
    """
    for tag in soup.select(selector):
        if not in_furniture(tag):
            return tag
    return None


def ld_names(value: object) -> str | None:
    if isinstance(value, str):
        return clean_author(value)
    if isinstance(value, dict):
        return clean_author(str(value.get("name") or ""))
    if isinstance(value, list):
        names = [n for n in (ld_names(v) for v in value) if n]
        return ", ".join(names) or None
    return None


def clean_author(raw: str) -> str | None:
    """'By Jane Doe · June 3, 2025 · 4 min read' -> 'Jane Doe'."""
    text = re.sub(r"^\s*(written\s+)?by[:\s]+", "", collapse(raw), flags=re.IGNORECASE)
    text = re.split(r"\s+[·|•—–]\s+|\s+on\s+|,\s+\d", text)[0].strip(" ,")
    return text if text and len(text.split()) <= 8 else None


def html_published(soup: BeautifulSoup, metas: dict[str, str], ld: dict) -> str | None:
    # Lazily, best first: the searches of the page are most of this function's time and
    # most pages say it in a <meta>.
    def candidates() -> Iterator[str | None]:
        yield _meta(metas, "article:published_time")
        yield str(ld.get("datePublished") or "") or None
        yield _meta(metas, "datepublished")
        marked = _first_in_article(soup, '[itemprop="datePublished"]:not(meta)')
        if marked is not None:
            yield str(marked.get("datetime") or marked.get("content") or marked.get_text())
        time = _first_in_article(soup, "time[datetime]")
        if time is not None:
            yield str(time.get("datetime"))
        yield _meta(metas, "date", "pubdate", "publish-date", "dc.date", "dcterms.created")

    for candidate in candidates():
        if candidate and candidate.strip():
            return normalize_date(candidate)
    return None


def normalize_date(value: str) -> str:
    """ISO dates and common spelled-out forms become YYYY-MM-DD; anything else is kept as is."""
    value = value.strip()
    if match := _ISO_DATE.search(value):
        year, month, day = (int(g) for g in match.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return value
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    return value
