"""Near-duplicate detection: MinHash signatures over word shingles.

Syndicated copies of an article differ by a sentence or a byline, so their content
hashes differ; their shingle sets still overlap almost entirely.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

_PERMUTATIONS = 64
_SHINGLE = 5
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20261124)  # fixed seed: signatures must be comparable across runs
_A = _rng.integers(1, _PRIME, _PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, _PERMUTATIONS, dtype=np.uint64)

NEAR_DUPLICATE_THRESHOLD = 0.8


def signature(text: str) -> str:
    """A MinHash signature of the text's word 5-shingles, as a hex string for storage."""
    words = re.findall(r"\w+", text.lower())
    shingles = {" ".join(words[i : i + _SHINGLE]) for i in range(max(1, len(words) - _SHINGLE + 1))}
    digests = (hashlib.blake2b(s.encode(), digest_size=7).digest() for s in shingles)
    hashes = np.array([int.from_bytes(d, "big") for d in digests], dtype=np.uint64)
    # (a*x + b) mod p in uint64 overflows harmlessly: we only need a consistent permutation.
    mixed = (hashes[None, :] * _A[:, None] + _B[:, None]) % np.uint64(_PRIME)
    return mixed.min(axis=1).astype(">u8").tobytes().hex()


def similarity(sig_a: str, sig_b: str) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    a = np.frombuffer(bytes.fromhex(sig_a), dtype=">u8")
    b = np.frombuffer(bytes.fromhex(sig_b), dtype=">u8")
    if a.shape != b.shape:
        return 0.0
    return float(np.mean(a == b))


def nearest(sig: str, others: list[tuple[str, str]]) -> tuple[str, float] | None:
    """The most similar (url, similarity) among `others` if it clears the threshold."""
    best: tuple[str, float] | None = None
    for url, other in others:
        score = similarity(sig, other)
        if score >= NEAR_DUPLICATE_THRESHOLD and (best is None or score > best[1]):
            best = (url, score)
    return best
