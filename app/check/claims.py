"""Turn an answer into claims: sentences with the citation markers they carry.

Markdown structure matters: headings and labels are not claims, a bullet is. Uncited sentences are
claims too (they fail as `no_citation`) unless they are short connectives such as
"Here is what the sources say:".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from app.check.models import CitationId
from app.check.sentences import sentence_spans

ClaimKind = Literal["sentence", "bullet", "heading", "connective"]

# A range wider than this is a typo or an attack, not a citation: keep just its endpoints.
MAX_RANGE = 50

_ID = r"(?:(?:source|src|doc|ref)\s*)?(?:\d+|[A-Za-z][\w.:-]*\d[\w.:-]*)"
_ITEM = rf"{_ID}(?:\s*[-–—]\s*{_ID})?"
MARKER = re.compile(rf"\[\^?\s*({_ITEM}(?:\s*[,;]\s*{_ITEM})*)\s*\](?!\()", re.IGNORECASE)
_PREFIX = re.compile(r"^(?:source|src|doc|ref)\s+(?=\d)", re.IGNORECASE)
_RANGE = re.compile(r"^(\d+)\s*[-–—]\s*(\d+)$")

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)[^*_]+\1\s*:?\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_QUOTE = re.compile(r"^\s*>\s?")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_TABLE_OR_RULE = re.compile(r"^\s*(?:\|.*\||[-*_]{3,}|```.*)\s*$")

CONNECTIVE_OPENERS = (
    "here is",
    "here's",
    "here are",
    "in summary",
    "in short",
    "to summarize",
    "to sum up",
    "overall",
    "in brief",
    "according to the sources",
    "based on the sources",
    "the sources",
    "these sources",
    "the provided sources",
    "the articles",
    "let's",
    "let me",
    "for example:",
    "sure",
    "yes",
    "no,",
    "i don't",
    "i do not",
    "i could not",
    "i couldn't",
)
_META = re.compile(
    r"\b(?:sources?|articles?|passages?|documents?)\b.*\b(?:do not|don't|does not|doesn't|"
    r"did not|didn't|cannot|can't|not)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Claim:
    """One segment of the answer: a sentence, bullet, heading or connective, with its markers."""

    index: int
    text: str
    start: int
    end: int
    citations: tuple[CitationId, ...]
    kind: ClaimKind
    line: int

    @property
    def is_claim(self) -> bool:
        return self.kind in ("sentence", "bullet")


def parse_markers(text: str) -> tuple[str, tuple[CitationId, ...]]:
    """Remove citation markers from `text`; return the clean text and the ids, in order, once each.

    Handles `[1]`, `[1][2]`, `[1, 2]`, `[1-3]` (expanded), `[Source 2]` and string ids with a digit
    (`[S1]`). Markdown links (`[text](url)`) and bracketed words (`[sic]`) are left alone.
    """
    ids: list[CitationId] = []
    for match in MARKER.finditer(text):
        for item in re.split(r"\s*[,;]\s*", match.group(1)):
            ids.extend(_expand(_PREFIX.sub("", item.strip())))
    clean = MARKER.sub("", text)
    clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
    clean = " ".join(clean.split())
    return clean, tuple(dict.fromkeys(ids))


def _expand(item: str) -> list[CitationId]:
    if match := _RANGE.match(item):
        low, high = sorted((int(match.group(1)), int(match.group(2))))
        if high - low > MAX_RANGE:
            return [low, high]
        return list(range(low, high + 1))
    if item.isdigit():
        return [int(item)]
    return [item]


def split_claims(answer: str) -> list[Claim]:
    """Split a (markdown) answer into segments, classifying each one."""
    claims: list[Claim] = []
    offset = 0
    for line_no, line in enumerate(answer.splitlines(keepends=True)):
        body = line.rstrip("\r\n")
        segments = _line_segments(body)
        for start, end, kind in segments:
            raw = body[start:end]
            text, ids = parse_markers(_EMPHASIS.sub("", raw))
            if kind == "heading":
                text = text.lstrip("#").strip()
            if kind == "sentence" and not ids and is_connective(text):
                kind = "connective"
            claims.append(
                Claim(len(claims), text, offset + start, offset + end, ids, kind, line_no)
            )
        offset += len(line)
    return [c for c in claims if c.text or c.citations]


def _line_segments(line: str) -> list[tuple[int, int, ClaimKind]]:
    """Spans of one line in line coordinates, with their kind."""
    if not line.strip() or _TABLE_OR_RULE.match(line):
        return []
    stripped = line.strip()
    if _HEADING.match(line) or _BOLD_LINE.match(line):
        return [(line.index(stripped), len(line.rstrip()), "heading")]
    body_start = 0
    kind: ClaimKind = "sentence"
    if match := _QUOTE.match(line):
        body_start = match.end()
    if match := _BULLET.match(line, body_start):
        body_start, kind = match.end(), "bullet"
    if kind == "sentence" and is_bare_heading(line[body_start:]):
        return [(line.index(stripped), len(line.rstrip()), "heading")]
    spans = sentence_spans(line, body_start)
    if kind == "bullet" and len(spans) == 1 and is_bare_heading(line[spans[0][0] : spans[0][1]]):
        kind = "heading"  # "- Runbooks" is a label in a list, not a claim
    return [(start, end, kind) for start, end in spans]


def is_bare_heading(text: str) -> bool:
    """A short uncited line with no sentence punctuation, such as "Ownership" or "Key steps:"."""
    text = _EMPHASIS.sub("", text).strip()
    if not text or MARKER.search(text) or text[-1] in ".!?":
        return False
    return len(text.split()) <= 8


def is_connective(text: str) -> bool:
    """A sentence that frames the answer rather than stating a fact, so it needs no citation.

    Lead-ins ending in a colon, questions, one- or two-word interjections, short openers
    ("In short,", "Overall, yes.") and statements about the sources themselves ("The sources do
    not say ...") qualify. Anything longer stays a claim, so facts cannot hide behind "Overall,".
    """
    lowered = text.lower().replace("’", "'").strip()
    words = len(lowered.split())
    if not lowered or words <= 2 or lowered.endswith("?"):
        return True
    if lowered.endswith(":") and words <= 20:
        return True
    if lowered.startswith(CONNECTIVE_OPENERS) and words <= 4:
        return True
    return bool(_META.search(lowered)) and words <= 16
