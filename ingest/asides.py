"""Footnotes and admonitions: parts of a page that are not running text, put in their place.

A footnote reference ("stick to it[^2]", rendered as a superscript link) is removed from
its sentence: left there, "[2]" or "2" would read as a citation marker or a stray number.
The footnotes themselves are taken out of the tree and returned, to become blocks of
their own after the article. markdown-it (`section.footnotes`), kramdown and Jekyll
(`div.footnotes`, `a.footnote`/`a.reversefootnote`) and pandoc (`section#footnotes`)
markup are recognised.

An admonition (`!!! tip`, MkDocs Material's `div.admonition`) keeps its text; its title
is dropped when it only names the admonition's type ("Tip", "Note").
"""

from __future__ import annotations

import re

from bs4 import Tag

_FOOTNOTE_HREF = re.compile(r"^#(fn|footnote)[-:_]?\w*", re.I)
_BACKREF_HREF = re.compile(r"^#(fnref|footnote-ref)[-:_]?\w*$", re.I)
_ADMONITION_TYPES = {
    "note", "tip", "hint", "info", "important", "warning", "caution", "danger", "attention",
    "error", "success", "check", "question", "help", "faq", "example", "quote", "abstract",
    "summary", "tldr", "todo", "bug", "failure", "fail", "missing", "seealso", "see also",
}  # fmt: skip


def take_footnotes(root: Tag) -> list[str]:
    """Remove footnote references and the footnote list from `root`; return the notes' text."""
    links, sections = [], []
    for tag in root.find_all(["a", "section", "div", "ol"]):  # one pass: pages can be large
        if tag.name == "a":
            links.append(tag)
        elif _is_footnote_section(tag):
            sections.append(tag)
    for link in links:
        if link.decomposed:
            continue
        href = str(link.get("href") or "")
        classes = link.get_attribute_list("class")
        if _BACKREF_HREF.match(href) or {"reversefootnote", "footnote-backref"} & set(classes):
            link.decompose()
        elif _FOOTNOTE_HREF.match(href):
            parent = link.parent
            holder = parent if isinstance(parent, Tag) and parent.name == "sup" else link
            if len(holder.get_text(strip=True)) <= 4:  # "1", "[12]", "*": a marker, not a link
                holder.decompose()
    notes: list[str] = []
    for section in sections:
        if section.decomposed:
            continue
        for item in section.find_all("li"):
            text = " ".join(item.get_text(" ").split())
            if text:
                notes.append(text)
        previous = section.find_previous_sibling()
        if isinstance(previous, Tag) and previous.name == "hr":
            previous.decompose()
        section.decompose()
    return notes


def _is_footnote_section(tag: Tag) -> bool:
    classes = tag.get_attribute_list("class")
    if tag.name == "ol":
        return "footnotes-list" in classes
    return "footnotes" in classes or (tag.name == "section" and tag.get("id") == "footnotes")


def drop_admonition_type_titles(root: Tag) -> None:
    """`<p class="admonition-title">Tip</p>` goes; a title that says something stays."""
    for title in root.find_all(["p", "summary"]):
        is_title = title.name == "summary" or "admonition-title" in title.get_attribute_list(
            "class"
        )
        if (
            is_title
            and " ".join(title.get_text(" ").split()).strip(":").lower() in _ADMONITION_TYPES
        ):
            title.decompose()
