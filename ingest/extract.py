"""Extraction stage: a fetched page's main content as located text blocks plus metadata.

HTML goes through BeautifulSoup (lxml parser); Markdown is rendered to HTML with
markdown-it-py and walked the same way, so both produce identical block shapes.
We keep our own extractor rather than a generic one because retrieval needs what
generic extractors drop: every block's heading path and exact character offsets
(see eval/extraction_compare.py for the measured comparison with trafilatura).

Only content blocks (paragraphs, lists, quotes, code) become text; headings live in
each block's `heading_path`, whose first element is always the article title.
Tables are rendered as list blocks, one "- cell | cell" line per row, so every row
is a sentence of its own for the chunker.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit, urlunsplit

import yaml
from bs4 import BeautifulSoup, NavigableString, PageElement, Tag
from bs4.element import PreformattedString
from markdown_it import MarkdownIt

from ingest.errors import ExtractionError
from ingest.records import Block, Document, Page

MIN_WORDS = 40  # fewer words than this is a stub, a login wall or an error page

# Tags whose content is never article text, wherever they appear.
_JUNK_TAGS = (
    "script", "style", "noscript", "iframe", "svg", "canvas", "object", "embed", "template",
    "form", "button", "input", "select", "textarea", "label", "nav", "footer", "aside",
    "dialog", "menu", "img", "picture", "video", "audio", "source", "map", "figcaption",
)  # fmt: skip
_JUNK_ROLES = {
    "navigation", "banner", "complementary", "contentinfo", "search", "dialog",
    "alertdialog", "menu", "menubar", "toolbar", "tablist",
}  # fmt: skip

# class/id/aria-label tokens that mark page furniture rather than article text.
_CLUTTER_TOKENS = {
    "cookie", "cookies", "consent", "gdpr", "banner", "nav", "navbar", "navigation", "menu",
    "sidebar", "widget", "related", "share", "sharing", "social", "newsletter", "subscribe",
    "subscription", "signup", "comment", "comments", "commentlist", "disqus", "respond",
    "ad", "ads", "adslot", "adunit", "adbox", "adsbygoogle", "advert", "adverts",
    "advertisement", "advertising", "sponsor", "sponsored", "sponsors", "promo", "promos",
    "promoted", "promotion", "footer", "breadcrumb", "breadcrumbs", "byline", "author",
    "bio", "meta", "popular", "trending", "recommended", "recommendations", "toc",
    "pagination", "pager", "skip", "modal", "popup", "overlay", "hidden", "sr", "masthead",
    "topbar", "tags", "tag", "print",
}  # fmt: skip
# Concatenated forms ("cookieNotice" is split by case, "sharebuttons" is not).
_CLUTTER_PREFIXES = (
    "cookie", "consent", "newsletter", "sidebar", "related", "advert", "sponsor",
    "breadcrumb", "subscribe", "social", "footer", "navbar", "disqus", "adsbygoogle",
    "sharebutton", "sharebar", "popular",
)  # fmt: skip
_HEADER_TOKENS = {"header", "hero"}  # holders of the title: keep their headings only

_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "center", "dd", "details", "dialog", "div",
    "dl", "dt", "fieldset", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")

# A section under one of these headings is furniture even when its markup says nothing.
_BOILERPLATE_HEADING = re.compile(
    r"^(related( articles| posts| reading| stories| content)?|popular( posts| articles)?"
    r"|you (may|might) also (like|enjoy)|read (next|more)|more (from|like this|stories)"
    r"|recommended( for you| reading)?|trending|\d*\s*comments?|(leave|post) a (reply|comment)"
    r"|join the discussion|share( this)?( article| post| story)?|subscribe\b.*"
    r"|(get|join) (the|our) newsletter|sign up\b.*|about the author|tags|categories)\W*$",
    re.IGNORECASE,
)
# Short blocks with these texts are banners or ad labels that escaped the markup rules.
_BOILERPLATE_TEXT = re.compile(
    r"we use cookies|this (web)?site uses cookies|accept (all )?cookies|all rights reserved"
    r"|^(©|copyright ©?)\s*\d{4}|subscribe to (our|the) newsletter"
    r"|sign up for (our|the) newsletter|^(sponsored|advertisement|promoted|paid post)\b",
    re.IGNORECASE,
)
_AD_LABEL = re.compile(
    r"^(advertisement|advertising|ad|ads|sponsored( content)?|promoted|paid content"
    r"|(story )?continues below( advertisement)?|continue reading below)$",
    re.IGNORECASE,
)
_BOILERPLATE_MAX_WORDS = 50

_WS = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_TITLE_SEP = re.compile(r"\s+(\||·|::|»|–|—|-)\s+")
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref)$", re.IGNORECASE)
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%m/%d/%Y")
_ARTICLE_TYPES = {
    "article", "newsarticle", "blogposting", "techarticle", "report", "scholarlyarticle",
    "webpage", "posting", "analysisnewsarticle", "opinionnewsarticle",
}  # fmt: skip
_MARKDOWN_TYPES = {"text/markdown", "text/x-markdown", "text/plain"}
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)


def extract(page: Page) -> Document:
    """Return the main content of `page` as a Document; raise ExtractionError if it has none."""
    media_type = page.content_type.split(";")[0].strip().lower()
    if media_type in _MARKDOWN_TYPES or page.url.lower().endswith((".md", ".markdown")):
        return _extract_markdown(page)
    return _extract_html(page)


# --- HTML


def _extract_html(page: Page) -> Document:
    soup = BeautifulSoup(page.body, "lxml", from_encoding=page.encoding or _charset(page))
    body = soup.body
    if body is None:
        raise ExtractionError(f"{page.url}: no <body>", reason="no_content")
    ld = _json_ld(soup)
    meta = _Metadata(
        title=_title(soup, ld) or page.url,
        canonical_url=_canonical(soup, page.url),
        author=_author(soup, ld),
        published=_published(soup, ld),
    )
    _remove_junk(body)
    root = _structural_root(body) or _density_root(body)
    _remove_clutter(root)
    return _build_document(page, meta, _BlockWalker(meta.title, root).run())


def _charset(page: Page) -> str | None:
    match = re.search(r"charset=([\w-]+)", page.content_type, re.IGNORECASE)
    return match.group(1) if match else None


def _remove_junk(body: Tag) -> None:
    """Drop elements that are never content: by tag, ARIA role, hidden state, or ad attributes."""
    for tag in body.find_all(_JUNK_TAGS):
        tag.decompose()
    for tag in body.find_all(True):
        if tag.decomposed:
            continue
        role = str(tag.get("role") or "").lower()
        style = str(tag.get("style") or "").replace(" ", "").lower()
        if (
            role in _JUNK_ROLES
            or tag.has_attr("hidden")
            or str(tag.get("aria-hidden") or "").lower() == "true"
            or "display:none" in style
            or "visibility:hidden" in style
            or any(name.startswith("data-ad") for name in tag.attrs)
        ):
            tag.decompose()
    for br in body.find_all("br"):
        br.replace_with("\n")


def _tokens(tag: Tag) -> set[str]:
    """Lower-case words of an element's class, id and aria-label ("cookieBar" -> cookie, bar)."""
    raw = [
        *tag.get_attribute_list("class"),
        str(tag.get("id") or ""),
        str(tag.get("aria-label") or ""),
    ]
    words: set[str] = set()
    for value in raw:
        if value:
            words.update(t for t in _TOKEN_SPLIT.split(_CAMEL.sub(r"\1 \2", value).lower()) if t)
    return words


def _is_clutter(tag: Tag) -> bool:
    tokens = _tokens(tag)
    return bool(tokens & _CLUTTER_TOKENS) or any(t.startswith(_CLUTTER_PREFIXES) for t in tokens)


def _remove_clutter(root: Tag) -> None:
    """Drop furniture inside the content root (ads between paragraphs, share bars, comments)."""
    for tag in root.find_all(True):
        if not tag.decomposed and tag.name not in ("html", "body") and _is_clutter(tag):
            tag.decompose()


def _word_count(tag: Tag) -> int:
    return sum(len(p.get_text(" ").split()) for p in tag.find_all(["p", "li", "pre", "blockquote"]))


def _structural_root(body: Tag) -> Tag | None:
    """The element the markup declares as the article, if it holds enough text."""
    selectors = ('[itemprop="articleBody"]', "article", '[role="main"]', "main")
    for selector in selectors:
        candidates = [c for c in body.select(selector) if not _is_clutter(c)]
        if not candidates:
            continue
        best = max(candidates, key=_word_count)
        if _word_count(best) >= MIN_WORDS:
            return best
    return None


def _density_root(body: Tag) -> Tag:
    """The deepest element holding most of the page's paragraph text.

    For pages without article markup: clutter is stripped first, then every
    substantial, link-poor paragraph credits its length to all its ancestors, and
    we descend from <body> while one child still holds 70% of that mass. Ads or
    images splitting an article into sibling divs keep the walk at their parent.
    """
    _remove_clutter(body)
    mass: dict[int, int] = {}
    for node in body.find_all(["p", "pre", "blockquote", "li", "td"]):
        text = _collapse(node.get_text())
        if len(text) < 25 or _link_density(node, text) > 0.5:
            continue
        for ancestor in node.parents:
            mass[id(ancestor)] = mass.get(id(ancestor), 0) + len(text)
            if ancestor is body:
                break
    total = mass.get(id(body), 0)
    node = body
    while True:
        heavy = [
            c for c in node.find_all(True, recursive=False) if mass.get(id(c), 0) >= 0.7 * total
        ]
        if not heavy:
            return node
        node = heavy[0]


def _link_density(tag: Tag, text: str) -> float:
    if not text:
        return 0.0
    linked = sum(len(_collapse(a.get_text())) for a in tag.find_all("a"))
    return linked / len(text)


def _collapse(text: str) -> str:
    return _WS.sub(" ", _INVISIBLE.sub("", text)).strip()


# --- walking the content root into blocks


@dataclass
class _Metadata:
    title: str
    canonical_url: str | None = None
    author: str | None = None
    published: str | None = None


@dataclass
class _RawBlock:
    kind: str
    text: str
    heading_path: tuple[str, ...]


@dataclass
class _BlockWalker:
    """Walks a content root in document order, tracking the heading stack.

    The stack starts as [(1, title)]: the first <h1> is the title itself, later
    headings push/pop by level. A boilerplate heading ("Related articles") opens a
    skipped region that ends at the next heading of its level or above, or when the
    element that contains it ends.
    """

    title: str
    root: Tag
    blocks: list[_RawBlock] = field(default_factory=list)
    stack: list[tuple[int, str]] = field(default_factory=list)
    seen_h1: bool = False
    skip_level: int | None = None
    skip_scope: Tag | None = None

    def run(self) -> list[_RawBlock]:
        self.stack = [(1, self.title)]
        self._walk(self.root)
        return self.blocks

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.stack)

    def _walk(self, container: Tag) -> None:
        run: list[PageElement] = []
        for child in container.children:
            if isinstance(child, Tag) and _is_block(child):
                self._flush_inline(run)
                run = []
                self._block(child)
            elif isinstance(child, Tag) or _is_text(child):
                run.append(child)
        self._flush_inline(run)
        if self.skip_scope is container:
            self.skip_level, self.skip_scope = None, None

    def _block(self, tag: Tag) -> None:
        name = tag.name
        if name in _HEADINGS:
            self._heading(int(name[1]), tag)
        elif name == "p" or name in ("dt", "dd", "summary", "address"):
            self._emit("paragraph", _inline_text(tag), tag)
        elif name in ("ul", "ol"):
            self._emit("list", "\n".join(_list_lines(tag, depth=0)), tag)
        elif name == "dl":
            self._emit("list", "\n".join(_definition_lines(tag)), tag)
        elif name == "table" and not tag.find(["p", "div", "table", "ul", "ol"]):
            self._emit("list", "\n".join(_table_lines(tag)), tag)
        elif name == "blockquote":
            self._emit("quote", _inline_text(tag), tag)
        elif name == "pre":
            self._emit("code", _code_text(tag), tag)
        elif name == "header" or (_tokens(tag) & _HEADER_TOKENS and tag is not self.root):
            for heading in tag.find_all(_HEADINGS):
                self._heading(int(heading.name[1]), heading)
        elif name != "hr":
            self._walk(tag)

    def _heading(self, level: int, tag: Tag) -> None:
        text = _inline_text(tag)
        if not text:
            return
        if level == 1 and not self.seen_h1:
            self.seen_h1 = True
            self.stack = [(1, self.title)]
            return
        level = max(level, 2)  # a later <h1> is a section, the title stays the root
        if _BOILERPLATE_HEADING.match(text):
            self.skip_level = level
            self.skip_scope = tag.parent if tag.parent is not self.root else None
            return
        if self.skip_level is not None and level <= self.skip_level:
            self.skip_level, self.skip_scope = None, None
        while len(self.stack) > 1 and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text))

    def _flush_inline(self, run: list[PageElement]) -> None:
        """Loose text between blocks (old markup: text and <br>s straight inside a div)."""
        if not run:
            return
        raw = "".join(_raw_text(node) for node in run)
        for paragraph in re.split(r"\n\s*\n", raw):
            self._emit("paragraph", _collapse(paragraph), None)

    def _emit(self, kind: str, text: str, tag: Tag | None) -> None:
        if not text or self.skip_level is not None:
            return
        if kind != "code" and _is_boilerplate(kind, text, tag):
            return
        self.blocks.append(_RawBlock(kind, text, self.path))


def _is_text(node: PageElement) -> bool:
    return isinstance(node, NavigableString) and not isinstance(node, PreformattedString)


def _is_block(tag: Tag) -> bool:
    return tag.name in _BLOCK_TAGS or tag.find(_BLOCK_TAGS) is not None


def _is_boilerplate(kind: str, text: str, tag: Tag | None) -> bool:
    words = len(text.split())
    if _AD_LABEL.match(text.strip(" .:-")):
        return True
    if words <= _BOILERPLATE_MAX_WORDS and _BOILERPLATE_TEXT.search(text):
        return True
    if tag is None:
        return False
    if kind == "paragraph":
        return words < 15 and _link_density(tag, text) >= 0.9
    if kind == "list":
        items = tag.find_all("li")
        return len(items) >= 3 and all(
            _link_density(li, _collapse(li.get_text())) >= 0.9 for li in items
        )
    return False


def _raw_text(node: PageElement) -> str:
    """Text of a node with a space at every block boundary, so "<p>a</p><p>b</p>" is "a b"."""
    if isinstance(node, Tag):
        inner = "".join(_raw_text(child) for child in node.children)
        return f" {inner} " if node.name in _BLOCK_TAGS else inner
    return str(node) if _is_text(node) else ""


def _inline_text(tag: Tag) -> str:
    return _collapse(_raw_text(tag))


def _list_lines(tag: Tag, depth: int) -> Iterator[str]:
    """One line per item: "- item" or "3. item", nested lists indented by two spaces."""
    ordered = tag.name == "ol"
    number = _int_attr(tag, "start", 1)
    indent = "  " * depth
    for li in tag.find_all("li", recursive=False):
        nested = li.find_all(["ul", "ol"], recursive=False)
        own = "".join(_raw_text(c) for c in li.children if not (isinstance(c, Tag) and c in nested))
        text = _collapse(own)
        number = _int_attr(li, "value", number)
        if text:
            yield f"{indent}{number}. {text}" if ordered else f"{indent}- {text}"
        number += 1
        for sub in nested:
            yield from _list_lines(sub, depth + 1)


def _int_attr(tag: Tag, name: str, default: int) -> int:
    try:
        return int(str(tag.get(name)))
    except ValueError:
        return default


def _definition_lines(tag: Tag) -> Iterator[str]:
    term = ""
    for child in tag.find_all(["dt", "dd"]):
        text = _inline_text(child)
        if child.name == "dt":
            term = text
        elif text:
            yield f"- {term}: {text}" if term else f"- {text}"


def _table_lines(tag: Tag) -> Iterator[str]:
    for row in tag.find_all("tr"):
        cells = [_inline_text(cell) for cell in row.find_all(["th", "td"])]
        if any(cells):
            yield "- " + " | ".join(cells)


def _code_text(tag: Tag) -> str:
    """Code keeps its line breaks and indentation; only trailing spaces and blank edges go."""
    lines = [
        line.rstrip() for line in _INVISIBLE.sub("", tag.get_text()).replace("\r", "").split("\n")
    ]
    return "\n".join(lines).strip("\n")


def _build_document(page: Page, meta: _Metadata, raw: list[_RawBlock]) -> Document:
    blocks: list[Block] = []
    offset = 0
    for item in raw:
        if blocks:
            offset += 2  # the "\n\n" that joins blocks
        blocks.append(
            Block(item.kind, item.text, item.heading_path, offset, offset + len(item.text))
        )
        offset += len(item.text)
    text = "\n\n".join(b.text for b in blocks)
    words = len(text.split())
    if words < MIN_WORDS:
        raise ExtractionError(f"{page.url}: only {words} words of content", reason="no_content")
    return Document(
        url=page.url,
        title=meta.title,
        text=text,
        blocks=blocks,
        canonical_url=meta.canonical_url,
        author=meta.author,
        published=meta.published,
        fetched_at=page.fetched_at,
        etag=page.etag,
        last_modified=page.last_modified,
    )


# --- metadata


def _meta(soup: BeautifulSoup, *keys: str) -> str | None:
    """First non-empty <meta> content whose name/property/itemprop is one of `keys`."""
    for key in keys:
        for attr in ("property", "name", "itemprop"):
            tag = soup.find("meta", attrs={attr: re.compile(f"^{re.escape(key)}$", re.I)})
            if isinstance(tag, Tag) and (content := _collapse(str(tag.get("content") or ""))):
                return content
    return None


def _json_ld(soup: BeautifulSoup) -> dict:
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


def _title(soup: BeautifulSoup, ld: dict) -> str:
    site = _meta(soup, "og:site_name")
    h1 = soup.find("h1")
    candidates = [
        _meta(soup, "og:title", "twitter:title"),
        _inline_text(h1) if isinstance(h1, Tag) else None,
        str(ld.get("headline") or "") or None,
        soup.title.get_text() if soup.title else None,
    ]
    for candidate in candidates:
        if candidate and (title := _strip_site_suffix(_collapse(candidate), site)):
            return title
    return ""


def _strip_site_suffix(title: str, site: str | None) -> str:
    """'Building Trust | Field Notes' -> 'Building Trust'; dashes only for a short or known tail."""
    separators = list(_TITLE_SEP.finditer(title))
    if not separators:
        return title
    last = separators[-1]
    head, sep, tail = title[: last.start()].strip(), last.group(1), title[last.end() :].strip()
    known = site is not None and tail.lower() == site.lower()
    short_tail = len(tail.split()) <= 3 and len(head.split()) >= 3
    if head and (sep in ("|", "·", "::", "»") or known or short_tail):
        return head
    return title


def _canonical(soup: BeautifulSoup, url: str) -> str | None:
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


def _author(soup: BeautifulSoup, ld: dict) -> str | None:
    author = _meta(soup, "author", "article:author", "dc.creator")
    if author and not author.startswith("http"):  # article:author is often a profile URL
        return _clean_author(author)
    if author := _ld_names(ld.get("author")):
        return author
    for selector in ('[rel="author"]', '[itemprop="author"]', ".author", ".byline"):
        tag = soup.select_one(selector)
        if tag is not None and (name := _clean_author(tag.get_text())):
            return name
    return None


def _ld_names(value: object) -> str | None:
    if isinstance(value, str):
        return _clean_author(value)
    if isinstance(value, dict):
        return _clean_author(str(value.get("name") or ""))
    if isinstance(value, list):
        names = [n for n in (_ld_names(v) for v in value) if n]
        return ", ".join(names) or None
    return None


def _clean_author(raw: str) -> str | None:
    """'By Jane Doe · June 3, 2025 · 4 min read' -> 'Jane Doe'."""
    text = re.sub(r"^\s*(written\s+)?by[:\s]+", "", _collapse(raw), flags=re.IGNORECASE)
    text = re.split(r"\s+[·|•—–]\s+|\s+on\s+|,\s+\d", text)[0].strip(" ,")
    return text if text and len(text.split()) <= 8 else None


def _published(soup: BeautifulSoup, ld: dict) -> str | None:
    candidates: list[str | None] = [
        _meta(soup, "article:published_time"),
        str(ld.get("datePublished") or "") or None,
        _meta(soup, "datePublished"),
    ]
    time = soup.find("time", datetime=True)
    if isinstance(time, Tag):
        candidates.append(str(time.get("datetime")))
    candidates.append(_meta(soup, "date", "pubdate", "publish-date", "dc.date", "dcterms.created"))
    for candidate in candidates:
        if candidate and candidate.strip():
            return _normalize_date(candidate)
    return None


def _normalize_date(value: str) -> str:
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


# --- Markdown


def _extract_markdown(page: Page) -> Document:
    """Markdown (and plain text) rendered to HTML, with YAML front matter as metadata."""
    source = page.body.decode(page.encoding or _charset(page) or "utf-8", errors="replace")
    front: dict = {}
    if match := _FRONT_MATTER.match(source):
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError:
            loaded = None
        if isinstance(loaded, dict):
            front = {str(k).lower(): v for k, v in loaded.items()}
            source = source[match.end() :]
    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(source)
    root = BeautifulSoup(f"<div>{html}</div>", "lxml").div
    assert root is not None  # we wrapped the rendering in one
    h1 = root.find("h1")
    title = _first_text(front.get("title"), _inline_text(h1) if isinstance(h1, Tag) else None)
    canonical = _first_text(front.get("canonical_url"), front.get("canonical"))
    published = _first_text(front.get("date"), front.get("published"))
    author = front.get("author") or front.get("authors")
    meta = _Metadata(
        title=title or page.url,
        canonical_url=urljoin(page.url, canonical) if canonical else None,
        author=_ld_names(author if not isinstance(author, tuple) else list(author)),
        published=_normalize_date(published) if published else None,
    )
    return _build_document(page, meta, _BlockWalker(meta.title, root).run())


def _first_text(*values: object) -> str | None:
    for value in values:
        if value is not None and (text := _collapse(str(value))):
            return text
    return None
