"""Sentence boundaries for answers and sources, as character spans so quotes stay exact substrings.

A regex splitter is enough here: both sides are well-edited English prose, and the checker needs
offsets into the original text (for `best_quote` and for stripping sentences) more than it needs
linguistic finesse. Citation markers after the final period stay with the sentence they follow.
"""

from __future__ import annotations

import re

# Words that end with a period without ending the sentence.
ABBREVIATIONS = frozenset(
    "e.g i.e vs cf al approx dept est fig inc ltd co corp jr sr st mr mrs ms dr prof vol u.s u.k"
    .split()
)

MARKER_RUN = r"(?:\s*\[[^\[\]\n]{1,40}\](?!\())*"
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)]*" + MARKER_RUN + r"(?=\s|$)")
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
    """Split `text[start:end]` into sentences; return (start, end) spans with whitespace trimmed."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        rest = text[match.end() : end].lstrip()
        if rest and (rest[0].islower() or rest[0] in ",;:)"):
            continue  # "e.g. something", "3 a.m. on" – the sentence goes on
        if _is_abbreviation(text, match.start()) and rest:
            continue
        spans.append((cursor, match.end()))
        cursor = match.end()
    spans.append((cursor, end))
    return [trimmed for span in spans if (trimmed := _trim(text, *span))]


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None
