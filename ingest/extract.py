"""Extraction stage: a fetched page's main content as located text blocks plus metadata.

HTML goes through BeautifulSoup (lxml parser); Markdown is rendered to HTML with
markdown-it-py and walked the same way, so both produce identical block shapes.
We keep our own extractor rather than a generic one because retrieval needs what
generic extractors drop: every block's heading path and exact character offsets
(see eval/extraction_compare.py for the measured comparison with trafilatura).

Only content blocks (paragraphs, lists, tables, quotes, code) become text; headings
live in each block's `heading_path`, whose first element is always the article title.
Tables are rendered one "- Header: cell; Header: cell" line per row (ingest/tables.py),
so every row is a sentence of its own for the chunker and keeps its columns' meaning.
Interview questions (a bold line, "Q: ...") are headings of the answer below them;
bylines and "This story was recorded in ..." notes are metadata (`Document.notes`).
Footnotes become blocks of their own under a "Notes" heading (ingest/asides.py).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit, urlunsplit

from bs4 import (
    BeautifulSoup,
    MarkupResemblesLocatorWarning,
    NavigableString,
    PageElement,
    Tag,
    XMLParsedAsHTMLWarning,
)
from bs4.element import PreformattedString

from ingest.asides import drop_admonition_type_titles, take_footnotes
from ingest.errors import ExtractionError
from ingest.front_matter import content_html
from ingest.markdown import markdown_tree
from ingest.records import Block, Document, Page
from ingest.tables import table_lines
from ingest.titles import strip_site_suffix, title_from_url

MIN_WORDS = 40  # fewer words than this is a stub, a login wall or an error page

# Tags whose content is never article text, wherever they appear.
_JUNK_TAGS = (
    "script", "style", "noscript", "iframe", "svg", "canvas", "object", "embed", "template",
    "form", "button", "input", "select", "textarea", "label", "nav", "footer", "aside",
    "dialog", "menu", "img", "picture", "video", "audio", "source", "map", "figcaption",
)  # fmt: skip
_JUNK_TAG_SET = frozenset(_JUNK_TAGS)
# HTML an author wrote inside Markdown is the article's own: an <aside> there is a
# quoted dialogue or a callout (Artsy's blog posts), not a site's sidebar.
_MARKDOWN_JUNK_TAGS = _JUNK_TAG_SET - {"aside", "footer", "figcaption"}
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
    "topbar", "tags", "tag", "print", "tableofcontents", "announcement", "announcementbar",
}  # fmt: skip
# Concatenated forms ("cookieNotice" is split by case, "sharebuttons" is not).
_CLUTTER_PREFIXES = (
    "cookie", "consent", "newsletter", "sidebar", "related", "advert", "sponsor",
    "breadcrumb", "subscribe", "social", "footer", "navbar", "disqus", "adsbygoogle",
    "sharebutton", "sharebar", "popular",
)  # fmt: skip
_ALWAYS_DROP_TOKENS = {
    "ad", "ads", "adslot", "adunit", "adbox", "adsbygoogle", "advert", "adverts",
    "advertisement", "advertising", "sponsor", "sponsored", "promo", "hidden", "sr",
}  # fmt: skip
_INLINE_TAGS = {
    "a", "abbr", "b", "bdi", "cite", "code", "em", "i", "ins", "kbd", "mark", "q", "s",
    "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var",
}  # fmt: skip
_TEXT_CONTAINERS = {"p", "li", "dd", "dt", "td", "th", "blockquote", *("h1", "h2", "h3", "h4")}
_METADATA_TOKENS = {"byline", "author", "meta", "post", "entry"}
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
    r"|sign up for (our|the) newsletter|^(sponsored|advertisement|promoted|paid post)\b"
    r"|^(related|see also|read (more|next|also)|recommended|more on this)\s*:"
    # a docs site's page date, "Last update: August 26, 2024" (not "Update: we now ...")
    r"|^(last )?(update|updated|modified|edited)( on)?\s*:?\s*"
    r"(\w+\.? \d{1,2},? \d{4}|\d{1,2} \w+ \d{4}|\d{4}-\d{2}-\d{2})\W*$",
    re.IGNORECASE,
)
_AD_LABEL = re.compile(
    r"^(advertisement|advertising|ad|ads|sponsored( content)?|promoted|paid content"
    r"|(story )?continues below( advertisement)?|continue reading below)$",
    re.IGNORECASE,
)
_BOILERPLATE_MAX_WORDS = 50
# "By Jane Doe · 5 min read" left unmarked; "By Friday, the team had shipped." is a sentence.
_BYLINE = re.compile(
    r"([Ww]ritten |[Pp]osted )?[Bb]y [A-Z][\w.'-]*( [A-Z][\w.'-]*){0,3}\b|\d+ min(ute)? read\b"
)
_HEADER_MAX_WORDS = 80

_WS = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref)$", re.IGNORECASE)
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%m/%d/%Y")
_ARTICLE_TYPES = {
    "article", "newsarticle", "blogposting", "techarticle", "report", "scholarlyarticle",
    "webpage", "posting", "analysisnewsarticle", "opinionnewsarticle",
}  # fmt: skip
_MARKDOWN_TYPES = {"text/markdown", "text/x-markdown", "text/plain"}
# "This story was recorded in March, 2020. Learn more about Ana on her blog.": a note about
# the piece, not its content. Only short paragraphs are tested (a note is a line or two).
_EDITORIAL_NOTE = re.compile(
    r"\bthis (story|interview|conversation|post|piece|article|talk|essay) (was|has been)"
    r" (recorded|conducted|written|edited|condensed|first published|originally published)"
    r"|\blearn more about \S+( \S+){0,3} (on|at) (his|her|their) (blog|website|site|homepage)"
    r"|\b(you can )?(find|follow) \S+( \S+){0,3} on (twitter|mastodon|linkedin|github|(his|her|"
    r"their) (blog|website))",
    re.IGNORECASE,
)
_NOTE_MAX_WORDS = 60
# An interview's question: "Q: ...", "Question: ...", or a bold line of its own.
_QUESTION_PREFIX = re.compile(r"^(q|question|interviewer)\s*[:.]\s*", re.IGNORECASE)
_ANSWER_PREFIX = re.compile(r"^(a|answer)\s*[:.]\s+", re.IGNORECASE)
_BOLD_HEADING_MAX_WORDS = 12  # a longer bold line is an emphasised sentence, kept as text
_QUESTION_LEVEL = 7  # below every real heading: the next question or any heading ends it
_LEAD_MIN_WORDS = 8  # a sentence that says something, not a label or a date line
_CONTAINER_ONLY = {"table", "tbody", "thead", "tfoot", "tr", "ul", "ol", "dl", "pre", "p"}


def extract(page: Page) -> Document:
    """Return the main content of `page` as a Document; raise ExtractionError if it has none."""
    media_type = page.content_type.split(";")[0].strip().lower()
    if media_type in _MARKDOWN_TYPES or page.url.lower().endswith((".md", ".markdown")):
        return _extract_markdown(page)
    return _extract_html(page)


# --- HTML


def _extract_html(page: Page) -> Document:
    with warnings.catch_warnings():
        # Feeds and fragments that look like file names are parsed as HTML on purpose:
        # whatever they hold is judged by the word count below, not by a warning.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(page.body, "lxml", from_encoding=page.encoding or _charset(page))
    body = soup.body
    if body is None:
        raise ExtractionError(f"{page.url}: no <body>", reason="no_content")
    ld, metas = _json_ld(soup), _meta_index(soup)
    meta = _Metadata(
        title=_title(soup, metas, ld) or title_from_url(page.url),
        canonical_url=_canonical(soup, page.url),
        author=_author(soup, metas, ld),
        published=_published(soup, metas, ld),
    )
    _remove_junk(body)
    root = _structural_root(body) or _density_root(body)
    _remove_clutter(root)
    return _build_document(page, meta, _walk_content(meta, root))


def _walk_content(meta: _Metadata, root: Tag, authored: bool = False) -> list[_RawBlock]:
    """The blocks of a cleaned content root, footnotes last; bylines and notes to `meta`."""
    notes = take_footnotes(root)
    drop_admonition_type_titles(root)
    walker = _BlockWalker(meta.title, root, authored=authored)
    blocks = walker.run()
    if meta.author is None and walker.byline:
        meta.author = _clean_author(walker.byline)
    meta.notes = walker.notes
    path = (meta.title, "Notes")
    return blocks + [_RawBlock("footnote", _collapse(note), path) for note in notes]


def _charset(page: Page) -> str | None:
    match = re.search(r"charset=([\w-]+)", page.content_type, re.IGNORECASE)
    return match.group(1) if match else None


def _remove_junk(body: Tag, junk_tags: frozenset[str] = _JUNK_TAG_SET) -> None:
    """Drop elements that are never content: by tag, ARIA role, hidden state, or ad attributes."""
    junk = []
    for tag in body.find_all(True):
        style = str(tag.get("style") or "").replace(" ", "").lower()
        if (
            tag.name in junk_tags
            or str(tag.get("role") or "").lower() in _JUNK_ROLES
            or tag.has_attr("hidden")
            or str(tag.get("aria-hidden") or "").lower() == "true"
            or "display:none" in style
            or "visibility:hidden" in style
            or any(name.startswith("data-ad") for name in tag.attrs)
        ):
            junk.append(tag)
    _decompose_outermost(junk)
    for br in body.find_all("br"):
        br.replace_with("\n")
    for heading in body.find_all(_HEADINGS):
        for link in heading.find_all("a", href=re.compile("^#")):
            if len(link.get_text(strip=True)) <= 2:  # a permalink mark: "¶", "#", "§"
                link.decompose()


def _decompose_outermost(tags: list[Tag]) -> None:
    """Remove `tags` from the tree; nested ones go with their ancestor, so skip them."""
    doomed = {id(tag) for tag in tags}
    outermost = [t for t in tags if not any(id(parent) in doomed for parent in t.parents)]
    for tag in outermost:
        tag.decompose()


def _tokens(tag: Tag) -> set[str]:
    """Words of an element's class, id and aria-label, plus each value squashed.

    "cookieBar" gives cookie, bar and cookiebar; "table-of-contents" gives
    tableofcontents, which no single word would safely match.
    """
    raw = [
        *tag.get_attribute_list("class"),
        str(tag.get("id") or ""),
        str(tag.get("aria-label") or ""),
    ]
    words: set[str] = set()
    for value in raw:
        if value:
            parts = [t for t in _TOKEN_SPLIT.split(_CAMEL.sub(r"\1 \2", value).lower()) if t]
            words.update(parts)
            words.add("".join(parts))
    return words


def _is_clutter(tag: Tag) -> bool:
    tokens = _tokens(tag)
    return bool(tokens & _CLUTTER_TOKENS) or any(t.startswith(_CLUTTER_PREFIXES) for t in tokens)


def _remove_clutter(root: Tag) -> None:
    """Drop furniture inside the content root (ads between paragraphs, share bars, comments).

    A clutter-classed inline element inside running text ("<a class='tag'>promotions</a>")
    stays: removing it would cut words out of a sentence. Ads and hidden text still go.
    """
    clutter = []
    for tag in root.find_all(True):
        if tag.name in ("html", "body") or not _is_clutter(tag):
            continue
        in_sentence = (
            tag.name in _INLINE_TAGS
            and tag.parent is not None
            and (tag.parent.name in _TEXT_CONTAINERS or tag.parent.name in _INLINE_TAGS)
        )
        if not in_sentence or _tokens(tag) & _ALWAYS_DROP_TOKENS:
            clutter.append(tag)
    _decompose_outermost(clutter)


def _word_count(tag: Tag) -> int:
    """Words of running text: paragraphs, list items, quotes, code and table cells.

    Cells count because a competency page's text is mostly its table; nested
    holders count twice, which only matters against MIN_WORDS, a low bar.
    """
    holders = ["p", "li", "pre", "blockquote", "td", "th", "dd"]
    return sum(len(p.get_text(" ").split()) for p in tag.find_all(holders))


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
    """The deepest element holding most of the page's non-link text.

    For pages without article markup: clutter is stripped first, then every text
    node outside a link credits its length to all its ancestors, and we descend
    from <body> while one child still holds 70% of that mass. Ads or images
    splitting an article into sibling divs keep the walk at their parent.
    """
    _remove_clutter(body)
    mass: dict[int, int] = {}
    for string in body.find_all(string=True):
        size = len(string.strip())
        if not size or not _is_text(string) or string.find_parent("a") is not None:
            continue
        for ancestor in string.parents:
            mass[id(ancestor)] = mass.get(id(ancestor), 0) + size
            if ancestor is body:
                break
    threshold = 0.7 * mass.get(id(body), 0)
    title = _title_heading(body)
    node = body
    while threshold > 0:
        heavy = [c for c in node.find_all(True, recursive=False) if mass.get(id(c), 0) >= threshold]
        if not heavy or heavy[0].name in _CONTAINER_ONLY:
            break  # a table or list is one block of the article, never the article itself
        if title is not None and node is not body and _holds_lead(node, title, heavy[0]):
            break  # the node holds the page's heading, its lead and its body: keep all three
        node = heavy[0]
    return node


def _title_heading(body: Tag) -> Tag | None:
    """The page's first <h1> (after junk removal), the heading an article root should hold."""
    heading = body.find("h1")
    return heading if isinstance(heading, Tag) and _inline_text(heading) else None


def _holds_lead(node: Tag, heading: Tag, child: Tag) -> bool:
    """Whether `node` holds `heading`, its heavy `child` does not, and prose sits beside it.

    The prose is a paragraph of `_LEAD_MIN_WORDS` words or more outside `child`, mostly
    not links: a lead that defines what the table below it lists. A site header or a
    menu beside the content holds no such paragraph, so the walk goes on past them.
    """
    if not any(parent is node for parent in heading.parents):
        return False
    if any(parent is child for parent in heading.parents):
        return False
    for paragraph in node.find_all("p"):
        if any(parent is child for parent in paragraph.parents):
            continue
        text = _inline_text(paragraph)
        if len(text.split()) >= _LEAD_MIN_WORDS and _link_density(paragraph, text) < 0.5:
            return True
    return False


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
    notes: list[str] = field(default_factory=list)


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
    # Markdown: every list and section is the author's. A "Comments" or "Related reading"
    # heading there titles a real section, not a site's comment thread (see _is_boilerplate).
    authored: bool = False
    blocks: list[_RawBlock] = field(default_factory=list)
    stack: list[tuple[int, str]] = field(default_factory=list)
    seen_h1: bool = False
    skip_level: int | None = None
    skip_scope: Tag | None = None
    byline: str | None = None  # an unmarked "By Jane Doe" line, for the author
    notes: list[str] = field(default_factory=list)  # "This story was recorded in ..."

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
        elif name == "p" and (question := _question(tag)):
            self._heading(_QUESTION_LEVEL, tag, question)
        elif name == "p" or name in ("dt", "dd", "summary", "address"):
            self._emit("paragraph", self._answer(_inline_text(tag)), tag)
        elif name in ("ul", "ol"):
            self._emit("list", "\n".join(_list_lines(tag, depth=0)), tag)
        elif name == "dl":
            self._emit("list", "\n".join(_definition_lines(tag)), tag)
        elif name == "table" and not tag.find("table"):
            self._emit("table", "\n".join(table_lines(tag, _cell_text)), tag)
        elif name == "blockquote":
            self._emit("quote", _inline_text(tag), tag)
        elif name == "pre":
            self._emit("code", _code_text(tag), tag)
        elif _is_title_header(tag) and tag is not self.root:
            for heading in tag.find_all(_HEADINGS):
                self._heading(int(heading.name[1]), heading)
        elif name != "hr":
            self._walk(tag)

    def _heading(self, level: int, tag: Tag, text: str | None = None) -> None:
        text = text or _inline_text(tag)
        if not text:
            return
        if level == 1 and not self.seen_h1:
            self.seen_h1 = True
            self.stack = [(1, self.title)]
            return
        level = max(level, 2)  # a later <h1> is a section, the title stays the root
        if len(self.stack) == 1 and text == self.title:
            return  # the title again, as an <h2> on sites that style it so
        if not self.authored and _BOILERPLATE_HEADING.match(text):
            self.skip_level, self.skip_scope = level, self._section_of(tag, text)
            return
        if self.skip_level is not None and level <= self.skip_level:
            self.skip_level, self.skip_scope = None, None
        while len(self.stack) > 1 and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text))

    def _section_of(self, heading: Tag, text: str) -> Tag | None:
        """The element a boilerplate heading titles: its nearest ancestor holding more than it."""
        scope = heading.parent
        while scope is not None and scope is not self.root and _inline_text(scope) == text:
            scope = scope.parent
        return None if scope is None or scope is self.root else scope

    def _flush_inline(self, run: list[PageElement]) -> None:
        """Loose text between blocks (old markup: text and <br>s straight inside a div)."""
        if not run:
            return
        raw = "".join(_raw_text(node) for node in run)
        linked = sum(
            len(_collapse(n.get_text())) for n in run if isinstance(n, Tag) and n.name == "a"
        )
        if linked and linked >= len(_collapse(raw)):
            return  # a bare link between blocks ("Edit this page"): a control, not text
        for paragraph in re.split(r"\n\s*\n", raw):
            self._emit("paragraph", _collapse(paragraph), None)

    def _emit(self, kind: str, text: str, tag: Tag | None) -> None:
        if not text or self.skip_level is not None:
            return
        if kind == "paragraph" and _is_byline(text):
            self.byline = self.byline or text
            return
        if kind == "paragraph" and _is_editorial_note(text):
            self.notes.append(text)
            return
        if kind != "code" and _is_boilerplate(kind, text, tag, self.authored):
            return
        self.blocks.append(_RawBlock(kind, text, self.path))

    def _answer(self, text: str) -> str:
        """An answer's "A:" goes once its question is a heading: it would open every quote."""
        if self.stack and self.stack[-1][0] == _QUESTION_LEVEL:
            return _ANSWER_PREFIX.sub("", text, count=1)
        return text


def _question(tag: Tag) -> str | None:
    """The question a paragraph asks, if it is an interview question line; else None.

    "Q: How did you start?" and "**Question:** ..." are questions; so is a paragraph that
    is one bold run of at most `_BOLD_HEADING_MAX_WORDS` words not ending in a full stop
    ("**Why staff?**", "**Responsibilities**"): a pseudo-heading. A bold sentence that
    ends in a period is emphasis and stays text.
    """
    text = _inline_text(tag)
    if not text:
        return None
    if match := _QUESTION_PREFIX.match(text):
        rest = text[match.end() :]
        return rest if rest and text.endswith("?") else None
    parts = [c for c in tag.children if not (isinstance(c, NavigableString) and not str(c).strip())]
    bold = len(parts) == 1 and isinstance(parts[0], Tag) and parts[0].name in ("strong", "b")
    if not bold or text[-1] in ".!;,":
        return None
    return text if text.endswith("?") or len(text.split()) <= _BOLD_HEADING_MAX_WORDS else None


def _is_editorial_note(text: str) -> bool:
    return len(text.split()) <= _NOTE_MAX_WORDS and bool(_EDITORIAL_NOTE.search(text))


def _cell_text(cell: Tag) -> str:
    """A table cell's text; items of a list inside it are joined with "; " unless they end a
    sentence, so "Leads incidents" and "Writes postmortems" do not run together."""
    items = cell.find_all(["li", "p"])
    if not items:
        return _inline_text(cell)
    parts = [_inline_text(item) for item in items if not item.find(["li", "p"])]
    whole = _inline_text(cell)
    joined = ""
    for part in filter(None, parts):
        joined += ("" if not joined else " " if joined[-1] in ".!?:" else "; ") + part
    # Text straight in the cell beside its list ("Label <ul>...") would be lost: keep all.
    return joined if len(joined.split()) >= len(whole.split()) else whole


def _is_text(node: PageElement) -> bool:
    return isinstance(node, NavigableString) and not isinstance(node, PreformattedString)


def _is_block(tag: Tag) -> bool:
    return tag.name in _BLOCK_TAGS or tag.find(_BLOCK_TAGS) is not None


def _is_title_header(tag: Tag) -> bool:
    """A header holding title, byline and share links; a big "header" is a mislabeled wrapper."""
    if tag.name != "header" and not _tokens(tag) & _HEADER_TOKENS:
        return False
    return len(tag.get_text(" ").split()) < _HEADER_MAX_WORDS


def _is_byline(text: str) -> bool:
    return len(text.split()) <= 12 and text[-1] not in ".!?" and bool(_BYLINE.match(text))


def _is_boilerplate(kind: str, text: str, tag: Tag | None, authored: bool = False) -> bool:
    """Banners, ad labels, link-only paragraphs and link lists (navigation, "related").

    In `authored` text (Markdown) a list of links is the author's own list of pages,
    not a site's menu, unless its links only jump within the page (a table of contents).
    """
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
        if authored and any(
            not str(a.get("href") or "").startswith("#") for a in tag.find_all("a")
        ):
            return False
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
        own = "".join(_raw_text(c) for c in li.children if not any(c is n for n in nested))
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
        notes=tuple(meta.notes),
        fetched_at=page.fetched_at,
        etag=page.etag,
        last_modified=page.last_modified,
    )


# --- metadata


def _meta_index(soup: BeautifulSoup) -> dict[str, str]:
    """Every <meta> content by lower-cased name/property/itemprop (first one wins)."""
    index: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        content = _collapse(str(tag.get("content") or ""))
        for attr in ("property", "name", "itemprop"):
            if content and (key := str(tag.get(attr) or "").lower()):
                index.setdefault(key, content)
    return index


def _meta(index: dict[str, str], *keys: str) -> str | None:
    return next((index[key] for key in keys if key in index), None)


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


def _title(soup: BeautifulSoup, metas: dict[str, str], ld: dict) -> str:
    """og:title; the <h1> that the <title> names; the article's <h1>; the first <h1> outside
    furniture; JSON-LD headline; the <title> minus the site's name (see ingest/titles.py)."""
    site = _meta(metas, "og:site_name")
    head = strip_site_suffix(_collapse(soup.title.get_text()), site) if soup.title else ""
    h1s = [_inline_text(h) for h in soup.find_all("h1") if not _in_furniture(h)]
    article_h1 = soup.select_one("article h1, main h1, [role=main] h1")
    candidates = [
        _meta(metas, "og:title", "twitter:title"),
        next((h for h in h1s if head and h.lower() == head.lower()), None),
        _inline_text(article_h1) if isinstance(article_h1, Tag) else None,
        h1s[0] if h1s else None,
        str(ld.get("headline") or "") or None,
        head,
    ]
    for candidate in candidates:
        if candidate and (title := strip_site_suffix(_collapse(candidate), site)):
            return title
    return ""


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


def _author(soup: BeautifulSoup, metas: dict[str, str], ld: dict) -> str | None:
    author = _meta(metas, "author", "article:author", "dc.creator")
    if author and not author.startswith("http"):  # article:author is often a profile URL
        return _clean_author(author)
    if author := _ld_names(ld.get("author")):
        return author
    for selector in ('[rel="author"]', '[itemprop="author"]', ".author", ".byline"):
        tag = _first_in_article(soup, selector)
        if tag is not None and (name := _clean_author(tag.get_text())):
            return name
    return None


def _first_in_article(soup: BeautifulSoup, selector: str) -> Tag | None:
    """First match outside page furniture, so a comment's author or a sidebar date is skipped.

    The byline's own tokens ("byline", "author", "meta") do not count as furniture here.
    """
    for tag in soup.select(selector):
        if not _in_furniture(tag):
            return tag
    return None


def _in_furniture(tag: Tag) -> bool:
    return any(_is_furniture(parent) for parent in tag.parents)


def _is_furniture(tag: Tag) -> bool:
    if tag.name in ("aside", "nav", "footer"):
        return True
    if tag.name in ("html", "body", BeautifulSoup.ROOT_TAG_NAME):
        return False  # <body class="has-sidebar"> says nothing about its content
    tokens = _tokens(tag) - _METADATA_TOKENS
    return bool(tokens & _CLUTTER_TOKENS) or any(t.startswith(_CLUTTER_PREFIXES) for t in tokens)


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


def _published(soup: BeautifulSoup, metas: dict[str, str], ld: dict) -> str | None:
    candidates: list[str | None] = [
        _meta(metas, "article:published_time"),
        str(ld.get("datePublished") or "") or None,
        _meta(metas, "datepublished"),
    ]
    marked = _first_in_article(soup, '[itemprop="datePublished"]:not(meta)')
    if marked is not None:
        candidates.append(str(marked.get("datetime") or marked.get("content") or marked.get_text()))
    time = _first_in_article(soup, "time[datetime]")
    if time is not None:
        candidates.append(str(time.get("datetime")))
    candidates.append(_meta(metas, "date", "pubdate", "publish-date", "dc.date", "dcterms.created"))
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
    """Markdown (and plain text) parsed to an HTML tree (ingest/markdown.py), walked like a page.

    Front matter gives the metadata; its content-bearing fields (ingest/front_matter.py)
    come before the body, under their names as headings.
    """
    source = page.body.decode(page.encoding or _charset(page) or "utf-8", errors="replace")
    try:
        tree = markdown_tree(source)
    except ValueError as error:
        raise ExtractionError(f"{page.url}: {error}", reason="no_content") from error
    front, root = tree.front_matter, tree.root
    _remove_junk(root, _MARKDOWN_JUNK_TAGS)
    title = _markdown_title(front, root) or title_from_url(page.url)
    if extra := content_html(front):
        lead = BeautifulSoup(f"<div>{extra}</div>", "lxml").div
        if lead is not None:
            root.insert(0, lead)
    canonical = _first_text(front.get("canonical_url"), front.get("canonical"))
    published = _first_text(front.get("date"), front.get("published"))
    meta = _Metadata(
        title=title,
        canonical_url=urljoin(page.url, canonical) if canonical else None,
        author=_ld_names(front.get("author") or front.get("authors")),
        published=_normalize_date(published) if published else None,
    )
    return _build_document(page, meta, _walk_content(meta, root, authored=True))


def _markdown_title(front: dict, root: Tag) -> str | None:
    """Front matter `title` (an issue template's `name`), else the first <h1>, else the first
    heading of any level."""
    h1 = root.find("h1") or root.find(_HEADINGS)
    heading = _inline_text(h1) if isinstance(h1, Tag) else None
    return _first_text(front.get("title"), front.get("name"), heading)


def _first_text(*values: object) -> str | None:
    for value in values:
        if value is not None and (text := _collapse(str(value))):
            return text
    return None
