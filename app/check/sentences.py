"""Sentence boundaries for answers and sources, as character spans so quotes stay exact substrings.

A regex splitter is enough here: both sides are well-edited English prose, and the checker needs
offsets into the original text (for `best_quote` and for stripping sentences) more than it needs
linguistic finesse. Citation markers after the final period stay with the sentence they follow.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that end with a period without ending the sentence.
ABBREVIATIONS = _words(
    """
    e.g i.e vs cf al approx dept est fig inc ltd co corp jr sr st mr mrs ms dr prof vol u.s
    u.k
    """
)

MARKER_RUN = r"(?:\s*\[[^\[\]\n]{1,40}\](?!\())*"
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)]*" + MARKER_RUN + r"(?=\s|$)")
_NEXT_CHAR = re.compile(r"\S")
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at `dot` closes an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    before = text[max(0, dot - 12) : dot]
    match = _WORD_BEFORE.search(before)
    if not match:
        return False
    word = match.group(1).lower().rstrip(".")
    return word in ABBREVIATIONS or (len(word) == 1 and match.group(1)[0].isupper())


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split `text[start:end]` into sentences; return (start, end) spans with whitespace trimmed.

    A blank line always ends a sentence, so an unpunctuated heading in a source stays apart from
    the paragraph under it.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for para_start, para_end in _paragraphs(text, start, end):
        cursor = para_start
        for match in _BOUNDARY.finditer(text, para_start, para_end):
            following = _NEXT_CHAR.search(text, match.end(), para_end)
            if following and (following.group().islower() or following.group() in ",;:)"):
                continue  # "e.g. something", "3 a.m. on" – the sentence goes on
            if following and _is_abbreviation(text, match.start()):
                continue
            spans.append((cursor, match.end()))
            cursor = match.end()
        spans.append((cursor, para_end))
    return [trimmed for span in spans if (trimmed := _trim(text, *span))]


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    bounds, cursor = [], start
    for gap in _BLANK_LINE.finditer(text, start, end):
        bounds.append((cursor, gap.start()))
        cursor = gap.end()
    bounds.append((cursor, end))
    return bounds


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None
