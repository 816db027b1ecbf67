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

import re
import warnings
from dataclasses import dataclass, field
from urllib.parse import urljoin

from bs4 import (
    BeautifulSoup,
    MarkupResemblesLocatorWarning,
    Tag,
    XMLParsedAsHTMLWarning,
)

from ingest.asides import drop_admonition_type_titles, take_footnotes
from ingest.blocks import BlockWalker, RawBlock
from ingest.clutter import MARKDOWN_JUNK_TAGS, remove_clutter, remove_junk
from ingest.content_root import MIN_WORDS, density_root, structural_root
from ingest.element_text import HEADINGS, collapse, inline_text
from ingest.errors import ExtractionError
from ingest.front_matter import content_html
from ingest.markdown import markdown_tree
from ingest.page_metadata import (
    clean_author,
    html_author,
    html_canonical,
    html_published,
    html_title,
    json_ld,
    ld_names,
    meta_index,
    normalize_date,
)
from ingest.records import Block, Document, Page
from ingest.titles import title_from_url

_MARKDOWN_TYPES = {"text/markdown", "text/x-markdown", "text/plain"}


def extract(page: Page) -> Document:
    """Return the main content of `page` as a Document; raise ExtractionError if it has none."""
    media_type = page.content_type.split(";")[0].strip().lower()
    if media_type in _MARKDOWN_TYPES or page.url.lower().endswith((".md", ".markdown")):
        return _extract_markdown(page)
    return _extract_html(page)


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
    ld, metas = json_ld(soup), meta_index(soup)
    meta = _Metadata(
        title=html_title(soup, metas, ld) or title_from_url(page.url),
        canonical_url=html_canonical(soup, page.url),
        author=html_author(soup, metas, ld),
        published=html_published(soup, metas, ld),
    )
    remove_junk(body)
    root = structural_root(body) or density_root(body)
    remove_clutter(root)
    return _build_document(page, meta, _walk_content(meta, root))


def _walk_content(meta: _Metadata, root: Tag, authored: bool = False) -> list[RawBlock]:
    """The blocks of a cleaned content root, footnotes last; bylines and notes to `meta`."""
    notes = take_footnotes(root)
    drop_admonition_type_titles(root)
    walker = BlockWalker(meta.title, root, authored=authored)
    blocks = walker.run()
    if meta.author is None and walker.byline:
        meta.author = clean_author(walker.byline)
    meta.notes = walker.notes
    path = (meta.title, "Notes")
    return blocks + [RawBlock("footnote", collapse(note), path) for note in notes]


def _charset(page: Page) -> str | None:
    match = re.search(r"charset=([\w-]+)", page.content_type, re.IGNORECASE)
    return match.group(1) if match else None


@dataclass
class _Metadata:
    title: str
    canonical_url: str | None = None
    author: str | None = None
    published: str | None = None
    notes: list[str] = field(default_factory=list)


def _build_document(page: Page, meta: _Metadata, raw: list[RawBlock]) -> Document:
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
    remove_junk(root, MARKDOWN_JUNK_TAGS)
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
        author=ld_names(front.get("author") or front.get("authors")),
        published=normalize_date(published) if published else None,
    )
    return _build_document(page, meta, _walk_content(meta, root, authored=True))


def _markdown_title(front: dict, root: Tag) -> str | None:
    """Front matter `title` (an issue template's `name`), else the first <h1>, else the first
    heading of any level."""
    h1 = root.find("h1") or root.find(HEADINGS)
    heading = inline_text(h1) if isinstance(h1, Tag) else None
    return _first_text(front.get("title"), front.get("name"), heading)


def _first_text(*values: object) -> str | None:
    for value in values:
        if value is not None and (text := collapse(str(value))):
            return text
    return None
