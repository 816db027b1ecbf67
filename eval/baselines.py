"""Two naive checkers, scored on the same checker set so the real one has something to beat.

Both thresholds were fixed before looking at any results and are not tuned on the
checker set: a baseline tuned on its own exam would flatter itself, and the point is
to show what a cheap approach misses (a changed number or a flipped "not" leaves
word overlap and embedding similarity almost untouched).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from app.terms import term_set
from eval.datasets import CheckerCase
from ingest.chunk import split_sentences

if TYPE_CHECKING:
    from ingest.embed import Embedder

# Four in five of the sentence's content words must appear in its cited sources.
LEXICAL_THRESHOLD = 0.8
# Cosine similarity to the closest cited source sentence (all-MiniLM-L6-v2 scale, where
# close paraphrases score above 0.8 and merely topical sentences well below).
EMBEDDING_THRESHOLD = 0.8


def _cited_texts(case: CheckerCase) -> list[str]:
    wanted = {str(c) for c in case.citations}
    return [s.text for s in case.sources if str(s.id) in wanted]


def lexical_overlap_scores(cases: Sequence[CheckerCase]) -> list[float]:
    """Share of each sentence's stemmed content terms that occur in its cited sources."""
    out: list[float] = []
    for case in cases:
        wanted = term_set(case.sentence)
        have = term_set(" ".join(_cited_texts(case)))
        out.append(len(wanted & have) / len(wanted) if wanted else 1.0)
    return out


def lexical_overlap_predictions(cases: Sequence[CheckerCase]) -> list[bool]:
    """Supported iff enough of the sentence's stemmed content terms occur in its cited sources."""
    return [score >= LEXICAL_THRESHOLD for score in lexical_overlap_scores(cases)]


def _sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)] or [text]


def embedding_scores(cases: Sequence[CheckerCase], embedder: Embedder) -> list[float]:
    """Each sentence's best cosine similarity to a sentence of its cited sources (0 if none)."""
    per_case = [[s for t in _cited_texts(c) for s in _sentences(t)] for c in cases]
    texts = list(dict.fromkeys([c.sentence for c in cases] + [s for ss in per_case for s in ss]))
    vectors = embedder.embed(texts)
    row = {t: i for i, t in enumerate(texts)}
    out: list[float] = []
    for case, sentences in zip(cases, per_case, strict=True):
        if not sentences:
            out.append(0.0)
            continue
        claim = vectors[row[case.sentence]]
        out.append(float(np.max(vectors[[row[s] for s in sentences]] @ claim)))
    return out


def embedding_predictions(cases: Sequence[CheckerCase], embedder: Embedder) -> list[bool]:
    """Supported iff the sentence embeds close to some sentence of its cited sources."""
    return [score >= EMBEDDING_THRESHOLD for score in embedding_scores(cases, embedder)]
