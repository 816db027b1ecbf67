"""`careerqa eval train-checker`: fit the checker's support model on dev, score it on test.

Steps, all deterministic (fixed seeds, sorted inputs):

1. every case of every labelled set (eval/checker_sets.py) becomes a SupportQuery and the
   offline judge computes its alignment features with the real embedding model;
2. a logistic regression is fitted on the dev side, each set weighing the same in total so the
   hundreds of easy extractive cases do not drown the real web pages of WiCE;
3. on dev: the support threshold that maximises the mean balanced accuracy over the sets, the
   partial threshold below which nine in ten dev cases are unsupported, and the discrete checks
   allowed to veto (each must remove more errors than it adds among dev cases above threshold);
4. the model is written to app/check/support_model.json with that provenance;
5. the full checker (with the new model) and a lexical-overlap baseline are scored on the test
   side of every set, which nothing above looked at.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from app.check.checker import CitationChecker
from app.check.claims import parse_markers
from app.check.models import SourceText, SupportQuery
from app.check.offline import CHECKS, FEATURES, OfflineJudge
from app.check.support_model import DEFAULT_MODEL, SupportModel
from eval.baselines import lexical_overlap_predictions
from eval.checker_sets import CheckerSet, load_llm_answers_if_present, load_sets
from eval.datasets import CheckerCase
from eval.splits import split_of

SEED = 13
# Inverse regularisation strength of the logistic regression; the default of scikit-learn,
# kept because 5-fold cross-validation on dev put C = 0.1, 0.3, 1 and 3 within 0.01 mean
# balanced accuracy of each other.
C = 1.0
# Nine in ten dev cases under the partial threshold are unsupported.
PARTIAL_PRECISION = 0.9


@dataclass(frozen=True)
class Row:
    set: str
    case: CheckerCase
    values: dict[str, float] | None
    issues: frozenset[str]


def query_of(case: CheckerCase) -> SupportQuery | None:
    """The question the checker asks about a case: its sentence against its cited sources."""
    wanted = {str(c) for c in case.citations}
    cited = tuple(
        SourceText(id=s.id, text=s.text, url=s.url) for s in case.sources if str(s.id) in wanted
    )
    if not cited:
        return None
    return SupportQuery(parse_markers(case.sentence)[0], cited)


def feature_rows(sets: Sequence[CheckerSet], judge: OfflineJudge, split: str) -> list[Row]:
    rows: list[Row] = []
    for s in sets:
        cases = s.side(split)
        queries = [query_of(c) for c in cases]
        asked = [q for q in queries if q is not None]
        found = iter(judge.assessments(asked))
        for case, query in zip(cases, queries, strict=True):
            a = next(found) if query is not None else None
            rows.append(Row(s.name, case, a.values if a else None,
                            frozenset(a.issues) if a else frozenset()))  # fmt: skip
    return rows


def fit(rows: list[Row]) -> tuple[SupportModel, dict[str, Any]]:
    """The model and thresholds from dev rows (those with features)."""
    from sklearn.linear_model import LogisticRegression

    usable = [r for r in rows if r.values is not None]
    x = np.array([[r.values[f] for f in FEATURES] for r in usable])  # type: ignore[index]
    y = np.array([r.case.supported for r in usable], dtype=int)
    sizes = {name: sum(r.set == name for r in usable) for name in {r.set for r in usable}}
    weight = np.array([len(usable) / (len(sizes) * sizes[r.set]) for r in usable])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=C, max_iter=5000, random_state=SEED)
    lr.fit((x - mean) / scale, y, sample_weight=weight)
    model = SupportModel(
        features=FEATURES, mean=tuple(mean.tolist()), scale=tuple(scale.tolist()),
        coef=tuple(lr.coef_[0].tolist()), intercept=float(lr.intercept_[0]), threshold=0.5,
        partial_threshold=0.25,
    )  # fmt: skip
    probs = [model.probability(r.values) for r in usable]  # type: ignore[arg-type]
    threshold, dev_ba = _best_threshold(usable, probs)
    vetoes, veto_counts = _useful_vetoes(usable, probs, threshold)
    partial = _partial_threshold(usable, probs, threshold)
    info = {"dev_cases": sizes, "dev_mean_balanced_accuracy": round(dev_ba, 4),
            "veto_counts_on_dev": veto_counts}  # fmt: skip
    return (
        SupportModel(model.features, model.mean, model.scale, model.coef, model.intercept,
                     threshold, partial, frozenset(vetoes)),
        info,
    )  # fmt: skip


def balanced_accuracy(gold: Sequence[bool], pred: Sequence[bool]) -> float | None:
    pos = [p for g, p in zip(gold, pred, strict=True) if g]
    neg = [not p for g, p in zip(gold, pred, strict=True) if not g]
    parts = [sum(v) / len(v) for v in (pos, neg) if v]
    return sum(parts) / len(parts) if parts else None


def _best_threshold(rows: list[Row], probs: list[float]) -> tuple[float, float]:
    names = sorted({r.set for r in rows})
    best = (0.5, -1.0)
    for t in np.arange(0.05, 0.951, 0.01):
        scores = []
        for name in names:
            pairs = [(r.case.supported, p >= t) for r, p in zip(rows, probs, strict=True)
                     if r.set == name]  # fmt: skip
            ba = balanced_accuracy([g for g, _ in pairs], [q for _, q in pairs])
            if ba is not None:
                scores.append(ba)
        mean = statistics.mean(scores)
        if mean > best[1] + 1e-9:
            best = (round(float(t), 2), mean)
    return best


def _useful_vetoes(
    rows: list[Row], probs: list[float], threshold: float
) -> tuple[list[str], dict[str, dict[str, int]]]:
    """Checks that, among dev cases the model would pass, flag more unsupported than supported."""
    keep, counts = [], {}
    for name, _ in CHECKS:
        fired = [r for r, p in zip(rows, probs, strict=True) if p >= threshold and name in r.issues]
        removed = sum(not r.case.supported for r in fired)
        added = sum(r.case.supported for r in fired)
        counts[name] = {"errors_removed": removed, "errors_added": added}
        if removed > added:
            keep.append(name)
    return keep, counts


def _partial_threshold(rows: list[Row], probs: list[float], threshold: float) -> float:
    for t in np.arange(round(threshold, 2), 0.0, -0.01):
        below = [r.case.supported for r, p in zip(rows, probs, strict=True) if p < t]
        if not below or 1 - sum(below) / len(below) >= PARTIAL_PRECISION:
            return round(float(t), 2)
    return 0.0


# --- scoring with the full checker ---------------------------------------------------------


def score_sets(
    sets: Sequence[CheckerSet], checker: CitationChecker, split: str
) -> dict[str, dict[str, Any]]:
    """Balanced accuracy, ROC-AUC and false alarms of the checker and the lexical baseline."""
    from sklearn.metrics import roc_auc_score

    out: dict[str, dict[str, Any]] = {}
    for s in sets:
        cases = s.side(split)
        gold, pred, score = [], [], []
        for case in cases:
            markers = "".join(f"[{c}]" for c in case.citations)
            sources = [SourceText(id=x.id, text=x.text, url=x.url) for x in case.sources]
            report = checker.check(f"{case.sentence} {markers}", sources)
            claims = [x for x in report.sentences if x.verdict != "not_a_claim"]
            gold.append(case.supported)
            pred.append(bool(claims) and all(x.verdict == "supported" for x in claims))
            score.append(min((x.score or 0.0) for x in claims) if claims else 0.0)
        faithful = [p for g, p in zip(gold, pred, strict=True) if g]
        lexical = lexical_overlap_predictions(cases)
        both = len(set(gold)) == 2
        out[s.name] = {
            "n": len(cases),
            "balanced_accuracy": _round(balanced_accuracy(gold, pred)),
            "roc_auc": round(float(roc_auc_score(gold, score)), 4) if both else None,
            "false_alarm_rate": _round(1 - sum(faithful) / len(faithful)) if faithful else None,
            "lexical_baseline_balanced_accuracy": _round(balanced_accuracy(gold, lexical)),
        }
    return out


def answer_recall_correlation(checker: CitationChecker, split: str) -> dict[str, Any] | None:
    """Pearson r between the checker's citation recall and the true one, per LLM-style answer."""
    answers = [a for a in load_llm_answers_if_present() if split_of(a.id) == split]
    if len(answers) < 3:
        return None
    estimated = [checker.check(a.markdown(), a.source_texts()).recall for a in answers]
    true = [sum(s.supported for s in a.sentences) / len(a.sentences) for a in answers]
    r = float(np.corrcoef(estimated, true)[0, 1])
    return {"answers": len(answers), "pearson_r": round(r, 4),
            "mean_estimated": round(statistics.mean(estimated), 4),
            "mean_true": round(statistics.mean(true), 4)}  # fmt: skip


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def train(embedder: Any, out: Path = DEFAULT_MODEL, *, write: bool = True) -> dict[str, Any]:
    """Fit on dev, write the model, score on test; return everything measured."""
    sets = load_sets()
    placeholder = SupportModel(FEATURES, (0.0,) * len(FEATURES), (1.0,) * len(FEATURES),
                               (0.0,) * len(FEATURES), 0.0, 0.5, 0.25)  # fmt: skip
    rows = feature_rows(sets, OfflineJudge(embedder, model=placeholder), "dev")
    model, info = fit(rows)
    provenance = {
        "command": "careerqa eval train-checker",
        "fitted_on": "dev side (eval.splits.split_of) of: " + ", ".join(s.name for s in sets),
        "seed": SEED, "C": C, "threshold": "maximises mean dev balanced accuracy over the sets",
        "partial_threshold": f"below it, {PARTIAL_PRECISION:.0%} of dev cases are unsupported",
        "vetoes": "checks that flag more unsupported than supported dev cases above threshold",
        **info,
    }  # fmt: skip
    model = replace(model, provenance=provenance)
    if write:
        out.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    checker = CitationChecker(OfflineJudge(embedder, model=model))
    return {
        "model": str(out) if write else None,
        "threshold": model.threshold,
        "partial_threshold": model.partial_threshold,
        "vetoes": sorted(model.vetoes),
        "dev": info,
        "test": score_sets(sets, checker, "test"),
        "test_answer_recall": answer_recall_correlation(checker, "test"),
    }
