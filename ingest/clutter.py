"""Page furniture: elements that are never article text, and how to recognise them.

Junk goes by tag, ARIA role, hidden state or ad attributes wherever it is; clutter
(cookie banners, share bars, comment threads, related-post boxes) goes by the words of
its class, id and aria-label.
"""

from __future__ import annotations

import re

from bs4 import (
    BeautifulSoup,
    Tag,
)

from ingest.element_text import HEADINGS

# Tags whose content is never article text, wherever they appear.
_JUNK_TAGS = (
    "script", "style", "noscript", "iframe", "svg", "canvas", "object", "embed", "template",
    "form", "button", "input", "select", "textarea", "label", "nav", "footer", "aside",
    "dialog", "menu", "img", "picture", "video", "audio", "source", "map", "figcaption",
)  # fmt: skip
_JUNK_TAG_SET = frozenset(_JUNK_TAGS)
# HTML an author wrote inside Markdown is the article's own: an <aside> there is a
# quoted dialogue or a callout (Artsy's blog posts), not a site's sidebar.
MARKDOWN_JUNK_TAGS = _JUNK_TAG_SET - {"aside", "footer", "figcaption"}
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
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")


def remove_junk(body: Tag, junk_tags: frozenset[str] = _JUNK_TAG_SET) -> None:
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
    for heading in body.find_all(HEADINGS):
        for link in heading.find_all("a", href=re.compile("^#")):
            if len(link.get_text(strip=True)) <= 2:  # a permalink mark: "¶", "#", "§"
                link.decompose()


def _decompose_outermost(tags: list[Tag]) -> None:
    """Remove `tags` from the tree; nested ones go with their ancestor, so skip them."""
    doomed = {id(tag) for tag in tags}
    outermost = [t for t in tags if not any(id(parent) in doomed for parent in t.parents)]
    for tag in outermost:
        tag.decompose()


def class_tokens(tag: Tag) -> set[str]:
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


def is_clutter(tag: Tag) -> bool:
    tokens = class_tokens(tag)
    return bool(tokens & _CLUTTER_TOKENS) or any(t.startswith(_CLUTTER_PREFIXES) for t in tokens)


def remove_clutter(root: Tag) -> None:
    """Drop furniture inside the content root (ads between paragraphs, share bars, comments).

    A clutter-classed inline element inside running text ("<a class='tag'>promotions</a>")
    stays: removing it would cut words out of a sentence. Ads and hidden text still go.
    """
    clutter = []
    for tag in root.find_all(True):
        if tag.name in ("html", "body") or not is_clutter(tag):
            continue
        in_sentence = (
            tag.name in _INLINE_TAGS
            and tag.parent is not None
            and (tag.parent.name in _TEXT_CONTAINERS or tag.parent.name in _INLINE_TAGS)
        )
        if not in_sentence or class_tokens(tag) & _ALWAYS_DROP_TOKENS:
            clutter.append(tag)
    _decompose_outermost(clutter)


def in_furniture(tag: Tag) -> bool:
    return any(_is_furniture(parent) for parent in tag.parents)


def _is_furniture(tag: Tag) -> bool:
    if tag.name in ("aside", "nav", "footer"):
        return True
    if tag.name in ("html", "body", BeautifulSoup.ROOT_TAG_NAME):
        return False  # <body class="has-sidebar"> says nothing about its content
    tokens = class_tokens(tag) - _METADATA_TOKENS
    return bool(tokens & _CLUTTER_TOKENS) or any(t.startswith(_CLUTTER_PREFIXES) for t in tokens)
