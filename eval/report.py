"""Markdown report of a results dict, and the comparison of two runs: what improved, regressed.

The report puts the judge next to every figure: "citation recall 0.91" means little
until one knows whether an LLM, the gold labels or the checker itself said so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Metrics where a smaller number is the better one; everything else is "higher is better".
_LOWER_IS_BETTER_SUFFIXES = ("_rate", "_ms", ".seconds")
_LOWER_IS_BETTER_EXCEPTIONS = ("answers.quote_exact_rate",)
# Differences smaller than this are noise, not a change worth a line in the comparison.
RATIO_TOLERANCE = 0.005
TIME_TOLERANCE = 0.10  # relative


def higher_is_better(name: str) -> bool:
    if name in _LOWER_IS_BETTER_EXCEPTIONS:
        return True
    return not name.endswith(_LOWER_IS_BETTER_SUFFIXES)


def _is_time(name: str) -> bool:
    return name.endswith(("_ms", ".seconds", "_s"))


def fmt(value: Any, name: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if _is_time(name):
            return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
        return f"{value:.3f}"
    return str(value)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


# --- comparison


@dataclass(frozen=True)
class Change:
    name: str
    old: float
    new: float
    status: str  # improved | regressed

    @property
    def delta(self) -> float:
        return self.new - self.old


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Metric changes beyond noise, and the questions and checker cases that flipped."""
    changes: list[Change] = []
    old_metrics, new_metrics = old.get("metrics", {}), new.get("metrics", {})
    for name in sorted(set(old_metrics) & set(new_metrics)):
        if name.startswith("baselines.") or ".baselines." in name:
            continue  # references, not the system: they move only when the datasets do
        a, b = old_metrics[name], new_metrics[name]
        if not isinstance(a, int | float) or not isinstance(b, int | float):
            continue
        if _is_time(name):
            if abs(b - a) <= TIME_TOLERANCE * max(abs(a), 1e-9):
                continue
        elif abs(b - a) < RATIO_TOLERANCE:
            continue
        better = (b > a) == higher_is_better(name)
        changes.append(Change(name, float(a), float(b), "improved" if better else "regressed"))

    old_q = {r["id"]: r for r in old.get("questions", [])}
    questions: list[dict[str, Any]] = []
    for row in new.get("questions", []):
        before = old_q.get(row["id"])
        if before is None:
            continue
        for key in ("citation_recall", "key_point_coverage", "recall_at_k"):
            a, b = before.get(key), row.get(key)
            if isinstance(a, int | float) and isinstance(b, int | float) and abs(b - a) >= 0.01:
                questions.append({"id": row["id"], "metric": key, "old": a, "new": b,
                                  "status": "improved" if b > a else "regressed"})
        if before.get("covered") != row.get("covered"):
            questions.append({"id": row["id"], "metric": "covered", "old": before.get("covered"),
                              "new": row.get("covered"), "status": "changed"})

    old_cases = {c["id"]: c for c in (old.get("checker") or {}).get("cases", [])}
    flipped: list[dict[str, Any]] = []
    for case in (new.get("checker") or {}).get("cases", []):
        before = old_cases.get(case["id"])
        if before is None or before["checker"] == case["checker"]:
            continue
        fixed = case["checker"] == case["gold"]
        flipped.append({"id": case["id"], "kind": case["kind"],
                        "status": "improved" if fixed else "regressed"})
    old_ids = {c["id"] for c in (old.get("checker") or {}).get("cases", [])}
    new_ids = {c["id"] for c in (new.get("checker") or {}).get("cases", [])}
    same_data = (
        [q["id"] for q in old.get("questions", [])] == [q["id"] for q in new.get("questions", [])]
        and old_ids == new_ids
        and all(old.get("run", {}).get(key) == new.get("run", {}).get(key)
                for key in ("questions_sha256", "checker_sha256", "fast"))
    )
    missing = sorted(name for name, value in old_metrics.items()
                     if name not in new_metrics and isinstance(value, int | float))
    return {
        "old_run": old.get("run", {}).get("started_at"),
        "same_datasets": same_data,
        "metrics": [c.__dict__ | {"delta": c.delta} for c in changes],
        "missing": missing,
        "questions": questions,
        "checker_cases": flipped,
    }


# --- the Markdown report


def _metric_rows(results: dict[str, Any], prefix: str) -> list[list[str]]:
    judges = results.get("metric_judges", {})
    return [
        [name.removeprefix(prefix), fmt(value, name), judges.get(name, "")]
        for name, value in results.get("metrics", {}).items()
        if name.startswith(prefix) and ".by_kind." not in name
    ]


def render_markdown(results: dict[str, Any], comparison: dict[str, Any] | None = None,
                    chart: str | None = None) -> str:
    run = results.get("run", {})
    out: list[str] = ["# careerqa eval report", ""]
    out.append(
        f"Target: **{run.get('target')}** · k = {run.get('k')} · "
        f"{'fast subset' if run.get('fast') else 'full sets'} · "
        f"{run.get('n_questions')} questions, {run.get('n_checker_cases')} checker cases · "
        f"{fmt(results.get('timings', {}).get('total_s'), 'run.seconds')} s · "
        f"started {run.get('started_at')}"
    )
    judges = results.get("judges", {})
    out += ["", "## Who judged what", ""]
    rows = [["retrieval, key points, refusals", "gold labels of the question set"],
            ["quote exactness", "exact-quote test against the current source text"]]
    if "answers" in judges:
        independent = "" if judges.get("answers_independent") else " ⚠"
        rows.append(["answer citation support (ALCE)", f"{judges['answers']}{independent}"])
        used = judges.get("evidence_used", {})
        rows.append(["evidence given to that judge",
                     ", ".join(f"{k}: {v}" for k, v in used.items() if v) or "–"])
        rows.append(["retrieved list", str(judges.get("retrieval_source"))])
    if "checker" in judges:
        rows.append(["checker set", judges["checker"]])
    out.append(_table(["figures", "judge"], rows))
    if chart:
        out += ["", f"![charts]({chart})"]

    if coverage := results.get("coverage"):
        out += ["", "## Coverage", ""]
        out.append(_table(["questions", "answered", "errored", "no answer",
                           "skipped (not in the question set)"],
                          [[str(coverage["questions"]), str(coverage["answered"]),
                            str(coverage["errored"]), str(coverage["missing"]),
                            str(coverage["skipped"])]]))
        if coverage.get("partial"):
            out += ["", f"⚠ **Partial answers**: answer figures cover {coverage['answered']} "
                        f"of {coverage['questions']} questions; questions with no answer count "
                        "in the error rate only."]
    if results.get("questions"):
        out += ["", "## Answers", ""]
        out.append(_table(["metric", "value", "judge"],
                          _metric_rows(results, "retrieval.") + _metric_rows(results, "answers.")))
        out += ["", "### Citations (ALCE)", ""]
        out.append(_table(["metric", "value", "judge"], _metric_rows(results, "citations.")))
        out += ["", "### Per question", ""]
        q_rows = []
        missing = [r["id"] for r in results["questions"] if r.get("status") == "missing"]
        for r in results["questions"]:
            if r.get("status") == "missing":
                continue  # listed once below, not as a table of dashes
            q_rows.append([
                r["id"], r["stratum"], fmt(r.get("covered")), fmt(r.get("recall_at_k")),
                fmt(r.get("key_point_coverage")), fmt(r.get("citation_recall")),
                fmt(r.get("citation_precision")), fmt(r.get("quote_exact")),
                fmt(r.get("latency_ms"), "latency_ms"), r.get("error") or "",
            ])
        out.append(_table(["id", "kind", "covered", "recall@k", "key points", "cit. recall",
                           "cit. precision", "quotes exact", "ms", "error"], q_rows))
        if missing:
            out += ["", f"No answer for {len(missing)} questions: {', '.join(missing)}."]
        evidence = [[r["id"], str(c["id"]), c.get("url") or "", c["via"], c.get("detail", "")]
                    for r in results["questions"] for c in r.get("citations", [])
                    if c["via"] in ("store", "fetched", "unresolved")]
        if evidence:
            out += ["", "### Citations resolved from their URL", "",
                    "Citations that came without a passage or quote: their page text came "
                    "from the local store, was fetched and extracted, or could not be found.",
                    ""]
            out.append(_table(["question", "citation", "url", "text from", "detail"],
                              evidence))
    for key, block in (results.get("validity") or {}).items():
        out += ["", f"### Answer-level validity ({key})", "",
                f"Estimated vs true citation scores per answer; truth: {block['judge']}.", ""]
        out.append(_table(
            ["score", "answers", "Pearson", "Spearman", "mean abs. error"],
            [[name, str(block[f"{name}_n"]), fmt(block[f"{name}_pearson"]),
              fmt(block[f"{name}_spearman"]), fmt(block[f"{name}_mean_abs_error"])]
             for name in ("recall", "precision")]))

    checker = results.get("checker")
    if checker and checker.get("systems"):
        systems = checker["systems"]
        out += ["", "## Citation checker", "",
                f"Checker under test: {checker.get('checker_under_test')}. "
                f"Labels: {checker.get('labels')}. The positive class is *unsupported* "
                "(precision/recall are for catching unsupported sentences; ROC-AUC ranks "
                "cases by how little support each system found).", ""]
        names = list(systems)
        rows = []
        for metric in ("accuracy", "balanced_accuracy", "roc_auc", "precision", "recall", "f1"):
            rows.append([metric] + [fmt(systems[n]["overall"].get(metric)) for n in names])
        out.append(_table(["metric", *names], rows))
        out += ["", "### By kind", "",
                "Accuracy on the kind's own cases; balanced accuracy of the kind against all "
                "cases of the opposite label.", ""]
        kinds = sorted(systems["checker"]["by_kind"])
        rows = []
        for kind in kinds:
            row = [kind, str(systems["checker"]["by_kind"][kind]["n"])]
            for n in names:
                k = systems[n]["by_kind"][kind]
                row.append(f"{fmt(k['accuracy'])} / {fmt(k['balanced_accuracy'])}")
            rows.append(row)
        out.append(_table(["kind", "n", *[f"{n} acc / bal. acc" for n in names]], rows))
        if checker.get("misses"):
            out += ["", "### Checker misses (first few)", ""]
            out.append(_table(
                ["id", "gold", "verdict", "reason", "sentence", "change"],
                [[c["id"], "supported" if c["gold"] else "unsupported", str(c["verdict"]),
                  str(c["reason"] or ""), c["sentence"][:140], str(c["change"] or "")[:90]]
                 for c in checker["misses"]],
            ))

    if comparison is not None:
        out += ["", "## Compared with the previous run", "",
                f"Previous run started {comparison.get('old_run')}."]
        if not comparison.get("same_datasets", True):
            out.append("⚠ The two runs used different question or checker cases (or the fast "
                       "subset in one of them): differences may come from the data.")
        out.append("")
        for status in ("improved", "regressed"):
            rows = [[c["name"], fmt(c["old"], c["name"]), fmt(c["new"], c["name"]),
                     f"{c['delta']:+.0f}" if _is_time(c["name"]) else f"{c['delta']:+.3f}"]
                    for c in comparison["metrics"] if c["status"] == status]
            out += [f"### {status.capitalize()} ({len(rows)})", ""]
            out.append(_table(["metric", "before", "after", "change"], rows) if rows else "none")
            out.append("")
        if comparison.get("missing"):
            out += [f"### Missing from this run ({len(comparison['missing'])})", "",
                    ", ".join(comparison["missing"]), ""]
        if comparison["questions"]:
            out += ["### Questions that changed", ""]
            out.append(_table(["id", "metric", "before", "after", ""],
                              [[q["id"], q["metric"], fmt(q["old"]), fmt(q["new"]), q["status"]]
                               for q in comparison["questions"]]))
        if comparison["checker_cases"]:
            fixed = [c["id"] for c in comparison["checker_cases"] if c["status"] == "improved"]
            broke = [c["id"] for c in comparison["checker_cases"] if c["status"] == "regressed"]
            out += ["", f"Checker cases now right: {', '.join(fixed) or 'none'}",
                    "", f"Checker cases now wrong: {', '.join(broke) or 'none'}"]
    out.append("")
    return "\n".join(out)
