"""The dev / held-out split shared by every labelled checker set (WiCE cases, LLM-style answers).

A case's side depends only on its id, so it never moves when files are re-sorted, filtered or
grown, and every piece of work that tunes on "dev" and reports on "test" agrees on the line.
"""

from __future__ import annotations

import hashlib
from typing import Literal

Split = Literal["dev", "test"]

# 6 of 10 hash buckets are dev: enough labelled data to fit on, 40% never looked at while tuning.
DEV_BUCKETS = 6


def split_of(case_id: str) -> Split:
    """The side of one case id: "dev" (fit and choose anything) or "test" (report only)."""
    bucket = int(hashlib.sha1(case_id.encode()).hexdigest(), 16) % 10
    return "dev" if bucket < DEV_BUCKETS else "test"
