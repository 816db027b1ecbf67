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
_FOOTNOTE_SECTIONS = "section.footnotes, div.footnotes, section#footnotes, ol.footnotes-list"
_ADMONITION_TYPES = {
    "note", "tip", "hint", "info", "important", "warning", "caution", "danger", "attention",
    "error", "success", "check", "question", "help", "faq", "example", "quote", "abstract",
    "summary", "tldr", "todo", "bug", "failure", "fail", "missing", "seealso", "see also",
}  # fmt: skip


def take_footnotes(root: Tag) -> list[str]:
    """Remove footnote references and the footnote list from `root`; return the notes' text."""
    for link in root.find_all("a", href=_BACKREF_HREF):
        link.decompose()
    for link in root.find_all("a", class_=["reversefootnote", "footnote-backref"]):
        link.decompose()
    for link in root.find_all("a", href=_FOOTNOTE_HREF):
        holder = link.parent if isinstance(link.parent, Tag) and link.parent.name == "sup" else link
        if len(holder.get_text(strip=True)) <= 4:  # "1", "[12]", "*": a marker, not link text
            holder.decompose()
    notes: list[str] = []
    for section in root.select(_FOOTNOTE_SECTIONS):
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


def drop_admonition_type_titles(root: Tag) -> None:
    """`<p class="admonition-title">Tip</p>` goes; a title that says something stays."""
    for title in root.select(".admonition-title, details > summary"):
        if " ".join(title.get_text(" ").split()).strip(":").lower() in _ADMONITION_TYPES:
            title.decompose()
