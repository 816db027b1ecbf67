"""Answer-level validity: do the estimated citation scores track the true ones?

When answers come with gold sentence labels (the LLM-style answer set, or an answers file
whose lines carry `sentences: [{text, supported}]`), each answer has a true citation
recall (share of its sentences that are supported) and a true precision (share of its
citations that sit on supported sentences). Correlating those with the judge's estimates
across answers says whether a ranking of systems by the estimate can be trusted, which a
per-sentence accuracy alone does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.check.claims import parse_markers
from eval import metrics as m


@dataclass(frozen=True)
class LabelledSentence:
    text: str  # with its citation markers
    supported: bool


def true_recall(sentences: Sequence[LabelledSentence]) -> float | None:
    """Share of the answer's labelled sentences that are supported."""
    return sum(s.supported for s in sentences) / len(sentences) if sentences else None


def true_precision(sentences: Sequence[LabelledSentence]) -> float | None:
    """Share of citations on supported sentences (None when nothing is cited).

    A supported sentence's citations all count as relevant: the labels say the cited
    sources together support it, not which of them was needed, so this is an upper bound
    on ALCE precision for sentences with several citations.
    """
    counts = [(len(parse_markers(s.text)[1]), s.supported) for s in sentences]
    total = sum(n for n, _ in counts)
    return sum(n for n, ok in counts if ok) / total if total else None


@dataclass(frozen=True)
class AnswerPair:
    """One answer's estimated and true citation scores."""

    id: str
    estimated_recall: float | None
    true_recall: float | None
    estimated_precision: float | None
    true_precision: float | None


def correlations(pairs: Sequence[AnswerPair]) -> dict[str, float | int | None]:
    """Pearson and Spearman correlation and mean absolute error, for recall and precision."""
    out: dict[str, float | int | None] = {}
    for name in ("recall", "precision"):
        both = [(getattr(p, f"estimated_{name}"), getattr(p, f"true_{name}")) for p in pairs]
        both = [(e, t) for e, t in both if e is not None and t is not None]
        est, true = [e for e, _ in both], [t for _, t in both]
        out[f"{name}_n"] = len(both)
        out[f"{name}_pearson"] = m.pearson(est, true)
        out[f"{name}_spearman"] = m.spearman(est, true)
        out[f"{name}_mean_abs_error"] = (
            sum(abs(e - t) for e, t in both) / len(both) if both else None
        )
    return out
