"""Does a quote attributed to a source actually occur in it?

Typography and spacing are forgiven (curly vs straight quotes, dashes, line breaks, an ellipsis
marking an omission); wording and case are not, since the answer presents the quote as verbatim.
"""

from __future__ import annotations

import re

_TYPOGRAPHY = str.maketrans(
    {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "}
)
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…|\[\.\.\.\])\s*")


def normalise(text: str) -> str:
    return " ".join(text.translate(_TYPOGRAPHY).split())


def quote_occurs(quote: str, source: str) -> bool:
    """True when every ellipsis-separated part of `quote` occurs in `source`, in order."""
    haystack = normalise(source)
    parts = [p.strip(" \"'") for p in _ELLIPSIS.split(normalise(quote))]
    parts = [p for p in parts if p]
    if not parts:
        return False
    position = 0
    for part in parts:
        found = haystack.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True
