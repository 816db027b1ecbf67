"""Text of parsed HTML elements: whitespace collapsed, block boundaries kept as spaces.

Shared by the block walker, the content-root search and the metadata readers, so that
all of them see the same words for the same element.
"""

from __future__ import annotations

import re

from bs4 import (
    NavigableString,
    PageElement,
    Tag,
)
from bs4.element import PreformattedString

_WS = re.compile(r"\s+")
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "center", "dd", "details", "dialog", "div",
    "dl", "dt", "fieldset", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip


def collapse(text: str) -> str:
    return _WS.sub(" ", INVISIBLE.sub("", text)).strip()


def is_text(node: PageElement) -> bool:
    return isinstance(node, NavigableString) and not isinstance(node, PreformattedString)


def is_block(tag: Tag) -> bool:
    return tag.name in _BLOCK_TAGS or tag.find(_BLOCK_TAGS) is not None


def raw_text(node: PageElement) -> str:
    """Text of a node with a space at every block boundary, so "<p>a</p><p>b</p>" is "a b"."""
    if isinstance(node, Tag):
        inner = "".join(raw_text(child) for child in node.children)
        return f" {inner} " if node.name in _BLOCK_TAGS else inner
    return str(node) if is_text(node) else ""


def inline_text(tag: Tag) -> str:
    return collapse(raw_text(tag))


def link_density(tag: Tag, text: str) -> float:
    if not text:
        return 0.0
    linked = sum(len(collapse(a.get_text())) for a in tag.find_all("a"))
    return linked / len(text)


HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
