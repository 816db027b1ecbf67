"""Strict mode: remove unsupported sentences from an answer and tidy the markdown left behind.

Removing sentences can leave empty bullets, headings with nothing under them and lead-ins such as
"Key steps:" introducing nothing; those go too, so the stripped answer still reads as written.
"""

from __future__ import annotations

import re

from app.check.claims import split_claims
from app.check.models import CheckReport

_EMPTY_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)]|>)?\s*$")
_HASHES = re.compile(r"^\s{0,3}(#{1,6})\s")
LOWEST_LEVEL = 7  # bold and bare headings rank below every "#" heading


def strip_unsupported(answer: str, report: CheckReport) -> str:
    """`answer` minus the sentences `report` marks unsupported; empty headings go too."""
    drops = sorted((s.start, s.end) for s in report.sentences if s.verdict == "unsupported")
    if any(end > len(answer) or start < 0 for start, end in drops):
        raise ValueError("the report does not belong to this answer")
    pieces, cursor = [], 0
    for start, end in drops:
        pieces.append(answer[cursor:start])
        cursor = end
    pieces.append(answer[cursor:])
    lines = [re.sub(r"[ \t]{2,}", " ", line).rstrip() for line in "".join(pieces).split("\n")]
    had_text = [bool(line.strip()) for line in answer.split("\n")]
    kept = [
        line
        for line, before in zip(lines, had_text, strict=False)
        if not (before and _EMPTY_BULLET.match(line))
    ]
    return _tidy("\n".join(_drop_empty_headings(kept)))


def _heading_level(line: str) -> int | None:
    claims = split_claims(line)
    if not claims or any(c.kind != "heading" for c in claims):
        return None
    match = _HASHES.match(line)
    return len(match.group(1)) if match else LOWEST_LEVEL


def _drop_empty_headings(lines: list[str]) -> list[str]:
    """Drop every heading with no content before the next heading of the same or higher rank."""
    levels = [_heading_level(line) if line.strip() else None for line in lines]
    keep = [True] * len(lines)
    for i, level in enumerate(levels):
        if level is None:
            continue
        has_content = False
        for j in range(i + 1, len(lines)):
            if levels[j] is not None and levels[j] <= level:
                break
            if lines[j].strip() and levels[j] is None:
                has_content = True
                break
        keep[i] = has_content
    return [line for line, k in zip(lines, keep, strict=True) if k]


def _tidy(text: str) -> str:
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n") + ("\n" if text.endswith("\n") else "")
