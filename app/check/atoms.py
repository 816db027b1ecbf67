"""A claim's atomic parts: the separate facts one sentence asserts, each to be backed on its own.

"X did A, and B happened" asserts two facts; so does an appositive ("Arnold, the publisher of
Media Play News, ...") and a conjunction of two full predicates. Each part is aligned with the
sources separately, so a sentence is supported only when every part is, and a partial verdict can
say which words found no support. Splitting is by punctuation and connectives, not parsing:
fragments too small to be a fact (fewer than `MIN_STEMS` content words) stay with a neighbour.
"""

from __future__ import annotations

import re

from app.check.features import analyse

MIN_STEMS = 2
# Clause boundaries: a comma or semicolon before a connective, a connective that starts a
# contrasting or relative clause, and bare commas (appositives, lists of predicates).
CLAUSE_SPLIT = re.compile(
    r",\s+(?:and|but|while|whereas|which|so|although|though|yet|who|where)\s+|;\s+|"
    r"\s+(?:while|whereas|but|although)\s+|\s+which\s+|,\s+|\s+and\s+(?=(?:\w+\s+){3})"
)


def atomic_parts(text: str, min_stems: int = MIN_STEMS) -> list[str]:
    """Split a claim into the facts it asserts; tiny fragments stay attached to a neighbour."""
    parts = [p.strip(" ,;.") for p in CLAUSE_SPLIT.split(text)]
    merged: list[str] = []
    for part in parts:
        if merged and len(analyse(part).stems) < min_stems:
            merged[-1] = f"{merged[-1]} {part}"
        elif part:
            merged.append(part)
    if len(merged) > 1 and len(analyse(merged[0]).stems) < min_stems:
        merged[1] = f"{merged[0]} {merged[1]}"
        merged = merged[1:]
    return merged
