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
    a, b = _decode(sig_a), _decode(sig_b)
    return float(np.mean(a == b)) if a.shape == b.shape else 0.0


def _decode(sig: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(sig), dtype=">u8")


class SignatureIndex:
    """Signatures of stored pages held as one matrix, so a lookup is one vectorized compare."""

    def __init__(self, entries: list[tuple[str, str]] = ()) -> None:
        self._urls: list[str] = []
        self._rows: list[np.ndarray] = []
        self._matrix: np.ndarray | None = None
        for url, sig in entries:
            self.add(url, sig)

    def add(self, url: str, sig: str) -> None:
        row = _decode(sig)
        if row.shape != (_PERMUTATIONS,):
            return  # written by another version of this module: not comparable
        self._urls.append(url)
        self._rows.append(row)
        self._matrix = None

    def nearest(self, sig: str, exclude: str) -> tuple[str, float] | None:
        """The most similar other page, if it clears the near-duplicate threshold."""
        if not self._rows:
            return None
        if self._matrix is None:
            self._matrix = np.vstack(self._rows)
        scores = (self._matrix == _decode(sig)).mean(axis=1)
        for i in np.argsort(-scores):
            if scores[i] < NEAR_DUPLICATE_THRESHOLD:
                return None
            if self._urls[i] != exclude:
                return self._urls[i], float(scores[i])
        return None
