"""Sentence boundaries for answers and sources, as character spans so quotes stay exact substrings.

A regex splitter is enough here: the checker needs offsets into the original text (for
`best_quote` and for stripping sentences) more than linguistic finesse. Real web pages add two
hazards the rules below handle: abbreviations such as "No. 1" or "A.V." that end in a period
without ending the sentence, and title, menu and metadata lines that carry no punctuation at all
and must stay apart from the prose after them. Citation markers after the final period stay with
the sentence they follow.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that end with a period without ending the sentence.
ABBREVIATIONS = _words(
    """
    e.g i.e vs v cf al approx dept est fig inc ltd co corp jr sr st mr mrs ms dr prof vol u.s
    u.k mt ft gen col lt sgt rev hon jan feb mar apr jun jul aug sep sept oct nov dec
    """
)
# Abbreviations only when a figure follows: "No. 1", "pp. 12", "Vol. 3", "c. 1491" (circa), but
# "I said no. Then".
BEFORE_FIGURES = _words("no nos pp p art sec ch nr c ca")

MARKER_RUN = r"(?:\s*\[[^\[\]\n]{1,40}\](?!\())*"
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)]*" + MARKER_RUN + r"(?=\s|$)")
_NEXT_CHAR = re.compile(r"\S")
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_INITIALISM = re.compile(r"^(?:[a-z]\.)+[a-z]$")  # "a.v", "j.r.r"
_WORD_BEFORE_THAT = re.compile(r"(\S+)\s+\S*$")
_LINE_BREAK = re.compile(r"\n")
_TERMINAL = re.compile(r"[.!?…:;,\"'”’)\]]\s*$")
_BLOCK_START = re.compile(r"\s*(?:#{1,6}\s|[-*+•]\s|\d{1,3}[.)]\s|>|\|)")
# A line of at most this many words without closing punctuation is a title, menu item or
# metadata line; wrapped prose lines are longer than that.
SHORT_LINE_WORDS = 10


def _is_abbreviation(text: str, dot: int, following: str) -> bool:
    """True when the period at `dot` closes an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    before = text[max(0, dot - 12) : dot]
    match = _WORD_BEFORE.search(before)
    if not match:
        return False
    raw = match.group(1)
    word = raw.lower().rstrip(".")
    if word in ABBREVIATIONS or _INITIALISM.match(word):
        return True
    if word in BEFORE_FIGURES:
        return following.isdigit()
    if len(word) == 1 and raw[0].isupper():
        # "John F. Kennedy", "J. Smith": an initial follows a name or opens one. After a
        # lowercase word ("I recommend Y. Then ...") the letter is a word and the period ends.
        previous = _WORD_BEFORE_THAT.search(text[max(0, dot - 40) : dot])
        return previous is None or previous.group(1)[0].isupper()
    return False


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split `text[start:end]` into sentences; return (start, end) spans with whitespace trimmed.

    A blank line always ends a sentence, and so does a line break after a short unpunctuated line
    or before a Markdown block (heading, bullet, quote, table), so a title stays apart from the
    paragraph under it.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for para_start, para_end in _blocks(text, start, end):
        cursor = para_start
        for match in _BOUNDARY.finditer(text, para_start, para_end):
            following = _NEXT_CHAR.search(text, match.end(), para_end)
            if following and (following.group().islower() or following.group() in ",;:)"):
                continue  # "e.g. something", "3 a.m. on" – the sentence goes on
            if following and _is_abbreviation(text, match.start(), following.group()):
                continue
            spans.append((cursor, match.end()))
            cursor = match.end()
        spans.append((cursor, para_end))
    return [trimmed for span in spans if (trimmed := _trim(text, *span))]


def _blocks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Paragraphs, further cut at line breaks that end a title-like line or open a block."""
    bounds = []
    for para_start, para_end in _paragraphs(text, start, end):
        cursor = line_start = para_start
        for brk in _LINE_BREAK.finditer(text, para_start, para_end):
            line = text[line_start : brk.start()]
            line_start = brk.end()
            if not line.strip():
                continue
            unpunctuated = not _TERMINAL.search(line)
            short = len(line.split()) <= SHORT_LINE_WORDS
            if (unpunctuated and short) or _BLOCK_START.match(text, brk.end(), para_end):
                bounds.append((cursor, brk.start()))
                cursor = brk.end()
        bounds.append((cursor, para_end))
    return bounds


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
