"""Front matter that carries the article: YAML fields rendered as body, under their names.

Some frameworks keep everything in the front matter (a progression framework's every
level, criterion and example) and use the Markdown body for a shared preamble. Any
top-level field outside the known page settings whose strings add up to at least
`CONTENT_WORDS` words is rendered as HTML, before the body:

- the field name becomes a heading ("exampleCriteria" -> "Example criteria");
- a list of mappings gives each item a heading from its label field (`name`, `title`,
  `level`: "Level 3"), and then the item's other fields one level down;
- a list of unlabelled mappings of plain values becomes a list, one item per mapping
  rendered like a table row ("Criteria: ...; Examples: ...");
- a list of strings becomes a list, a string a paragraph; short scalars ("levels: 6") say
  nothing on their own and are left out;
- a list of links (`subnav: [{text: ..., href: "#..."}]`) is navigation and is left out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

CONTENT_WORDS = 20  # below this a field is a setting or a short label (18F `questions:`)
# Page settings of Jekyll, Hugo, Eleventy, MkDocs and Docusaurus: never body text.
_SETTINGS = {
    "title", "name", "about", "description", "summary", "excerpt", "subtitle", "date",
    "author", "authors", "layout", "tags", "categories", "category", "permalink", "slug",
    "redirect_from", "redirect_to", "aliases", "keywords", "cspell", "path", "sidebar",
    "sidebartitle", "sidebargroup", "sidebar_position", "sidebar_label", "nav_order",
    "weight", "draft", "published", "canonical", "canonical_url", "image", "images",
    "og_image", "comments", "toc", "hide", "template", "type", "lang", "eleventynavigation",
}  # fmt: skip
_LABEL_KEYS = ("name", "title", "label", "level")
_LINK_KEYS = ("href", "url", "link")
_LINK_VALUE = re.compile(r"^(#|\.{0,2}/|https?://)")  # "#part", "/a", "./a", "../a", URLs
_MAX_LEVEL = 6


def content_html(front: dict) -> str:
    """HTML for the content-bearing fields of `front` (lower-cased keys), "" if there are none."""
    parts: list[str] = []
    for key, value in front.items():
        if key in _SETTINGS or _words(value) < CONTENT_WORDS or _is_menu(value):
            continue
        parts += _render(value, 2, key)
    return "\n".join(parts)


def _render(value: object, level: int, key: str | None) -> Iterator[str]:
    """HTML for one value; `key` names it (None for list items already given a heading)."""
    if _words(value) == 0:
        return
    labelled = isinstance(value, list) and all(
        isinstance(v, dict) and _label(v) for v in value if v is not None
    )
    if key is not None and not isinstance(value, str) and not labelled:
        yield _heading(_humanise(key), level)
        level += 1
    if isinstance(value, str):
        text = html.escape(" ".join(value.split()))
        yield (
            f"<p>{html.escape(_humanise(key))}: {text}</p>"
            if key and _short(value)
            else (f"<p>{text}</p>")
        )
    elif isinstance(value, dict):
        for sub_key, sub in value.items():
            if str(sub_key).lower() not in _LABEL_KEYS or isinstance(sub, list | dict):
                yield from _render(sub, level, str(sub_key))
    elif isinstance(value, list) and all(not isinstance(v, list | dict) for v in value):
        items = "".join(f"<li>{html.escape(str(v))}</li>" for v in value if v is not None)
        yield f"<ul>{items}</ul>"
    elif isinstance(value, list):
        records = [item for item in value if isinstance(item, dict) and _is_record(item)]
        if records:
            yield "<ul>" + "".join(f"<li>{html.escape(_record(r))}</li>" for r in records) + "</ul>"
        for item in value:
            if isinstance(item, dict) and (label := _label(item)):
                yield _heading(label, level)
                yield from _render(item, level + 1, None)
            elif not any(item is r for r in records):
                yield from _render(item, level, None)


def _is_menu(value: object) -> bool:
    """A list of links ({text: "Why reviews?", href: "#why-reviews"}): a page's sub-navigation
    (18F `subnav:`), which would otherwise become a list of "Text: ...; Href: ..." lines."""
    return isinstance(value, list) and bool(value) and all(
        isinstance(item, dict) and any(
            isinstance(item.get(k), str) and _LINK_VALUE.match(item[k]) for k in _LINK_KEYS)
        for item in value
    )


def _is_record(item: dict) -> bool:
    """An unlabelled mapping of plain values ({criteria: ..., examples: [...]}): one list item."""
    return not _label(item) and all(
        not isinstance(v, dict)
        and not (isinstance(v, list) and any(isinstance(x, list | dict) for x in v))
        for v in item.values()
    )


def _record(item: dict) -> str:
    """'Criteria: Gives feedback; Examples: a review talk; a pairing session' (like a table row)."""
    parts = []
    for key, value in item.items():
        values = value if isinstance(value, list) else [value]
        text = "; ".join(" ".join(str(v).split()) for v in values if v is not None)
        if text:
            parts.append(f"{_humanise(str(key))}: {text}")
    return "; ".join(parts)


def _label(item: dict) -> str | None:
    for key in _LABEL_KEYS:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return _humanise(value) if re.fullmatch(r"[a-z][a-zA-Z_-]*", value) else value
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{key.capitalize()} {value}"
    return None


def _heading(text: str, level: int) -> str:
    level = min(level, _MAX_LEVEL)
    return f"<h{level}>{html.escape(text)}</h{level}>"


def _humanise(key: str) -> str:
    """'exampleCriteria' / 'example_criteria' -> 'Example criteria'."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key).replace("_", " ").replace("-", " ")
    words = " ".join(words.split()).lower()
    return words[:1].upper() + words[1:]


def _short(value: str) -> bool:
    return len(value.split()) < 8


def _words(value: object) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, dict):
        return sum(_words(v) for v in value.values())
    if isinstance(value, list):
        return sum(_words(v) for v in value)
    return 0
