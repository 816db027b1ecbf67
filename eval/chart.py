"""The PNG chart of a run, meant to be read in five seconds.

Top: checker accuracy per case kind, the checker beside the two baselines, kinds grouped
by label (supported kinds first) so "where does the checker beat naive overlap" is one
glance. Bottom: citation recall per answered question, sorted from worst to best, with
precision as a dot; questions that could not be scored are never drawn as zeros: those
with no answer, an error or no claims to score get their own labelled columns on the right.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

_SYSTEM_STYLE = {  # name: (label, colour)
    "checker": ("checker", "#1f77b4"),
    "lexical_baseline": ("lexical-overlap baseline", "#bbbbbb"),
    "embedding_baseline": ("embedding-only baseline", "#ff9f40"),
}
_MAX_LABELLED_QUESTIONS = 30  # beyond this, only the weakest questions get their id


def render_chart(results: dict[str, Any], path: Path) -> Path | None:
    """Draw what the results hold; None when there is nothing to draw."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    checker = results.get("checker")
    rows = results.get("questions", [])
    panels = [p for p in ("checker", "questions") if (checker if p == "checker" else rows)]
    if not panels:
        return None
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 4.6 * len(panels)), squeeze=False)
    for ax, panel in zip((row[0] for row in axes), panels, strict=True):
        if panel == "checker":
            _checker_panel(ax, checker)
        else:
            _questions_panel(ax, rows, results.get("judges", {}).get("answers", ""))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _wrapped(kind: str) -> str:
    """A kind name on lines of at most 12 characters, so a dozen kinds never overlap."""
    return "\n".join(textwrap.wrap(kind.replace("_", " "), 12))


def _checker_panel(ax: Any, checker: dict[str, Any]) -> None:
    systems = checker["systems"]
    by_kind = systems["checker"]["by_kind"]
    kinds = sorted(by_kind, key=lambda k: (not by_kind[k]["supported"], k))
    width = 0.8 / len(systems)
    for i, (name, data) in enumerate(systems.items()):
        label, colour = _SYSTEM_STYLE.get(name, (name, None))
        balanced = data["overall"].get("balanced_accuracy")
        if balanced is not None:
            label += f" (balanced acc. {balanced:.2f})"
        xs = [x + (i - (len(systems) - 1) / 2) * width for x in range(len(kinds))]
        values = [data["by_kind"][k]["accuracy"] for k in kinds]
        ax.bar(xs, [v or 0.0 for v in values], width, label=label, color=colour,
               edgecolor="white", linewidth=0.5)
        if name == "checker":
            for x, v in zip(xs, values, strict=True):
                if v is not None:
                    ax.text(x, v + 0.015, f"{v:.2f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(kinds)))
    ax.set_xticklabels(
        [f"{_wrapped(k)}\n{'✓' if by_kind[k]['supported'] else '✗'} n={by_kind[k]['n']}"
         for k in kinds],
        fontsize=8)
    split = sum(1 for k in kinds if by_kind[k]["supported"])
    if 0 < split < len(kinds):
        ax.axvline(split - 0.5, color="#888888", linestyle=":", linewidth=1)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("accuracy on the kind's cases")
    ax.set_title(f"Citation checker by case kind — {checker.get('labels', '')}\n"
                 "✓ supported kinds (left of the line), ✗ unsupported kinds", fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=len(systems), fontsize=8,
              frameon=False)
    ax.spines[["top", "right"]].set_visible(False)


def unscored_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Questions without a citation score, by why: each gets its own band, never a zero bar."""
    return {
        "no answer": sum(1 for r in rows if r.get("status") == "missing"),
        "error": sum(1 for r in rows if r.get("status") == "errored"),
        "no claims": sum(1 for r in rows if r.get("status", "answered") == "answered"
                         and not r.get("error") and r.get("citation_recall") is None),
    }


def _questions_panel(ax: Any, rows: list[dict[str, Any]], judge: str) -> None:
    scored = [r for r in rows if r.get("citation_recall") is not None]
    scored.sort(key=lambda r: (r["citation_recall"], r.get("citation_precision") or 0.0))
    unscored = unscored_counts(rows)
    xs = list(range(len(scored)))
    ax.bar(xs, [r["citation_recall"] for r in scored], min(0.8, 0.25 + 0.05 * len(scored)),
           color="#1f77b4", label="citation recall")
    precision = [(x, r["citation_precision"]) for x, r in zip(xs, scored, strict=True)
                 if r.get("citation_precision") is not None]
    ax.scatter([x for x, _ in precision], [p for _, p in precision], s=36, marker="D",
               color="black", edgecolor="white", zorder=3, label="citation precision")
    # Unscored questions are a shaded band with a count, not a bar: a bar would read as a score.
    colours = {"no answer": "#e6e6e6", "error": "#f4b6b6", "no claims": "#f7e3a1"}
    ticks, labels = [], []
    extra = len(scored) + 0.5
    shown = [(name, count) for name, count in unscored.items() if count]
    if shown and scored:
        ax.axvline(len(scored) - 0.5 + 0.25, color="#555555", linewidth=1)
    for name, count in shown:
        ax.axvspan(extra - 0.45, extra + 0.45, facecolor=colours[name], hatch="//",
                   edgecolor="#999999", linewidth=0)
        ax.text(extra, 0.55, f"{count}\n{name}\n(not scored)", ha="center", va="center",
                fontsize=8, bbox={"facecolor": "white", "edgecolor": "none", "pad": 2})
        extra += 1
    if len(scored) <= _MAX_LABELLED_QUESTIONS:
        ticks, labels = xs, [r["id"] for r in scored]
    else:
        weakest = [x for x, r in zip(xs, scored, strict=True) if r["citation_recall"] < 1][:10]
        ticks, labels = weakest, [scored[x]["id"] for x in weakest]
        perfect = sum(1 for r in scored if r["citation_recall"] >= 1)
        if perfect:
            ax.text(len(scored) - perfect / 2 - 0.5, 1.04, f"{perfect} questions at recall 1.0",
                    ha="center", fontsize=8)
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=7)
    ax.set_xlim(-0.8, max(extra - 0.45, len(scored) - 0.2, 1))
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("score")
    ax.set_title(f"Citation scores per question, worst first: {len(scored)} of {len(rows)} "
                 f"questions scored — judge: {judge}", fontsize=9)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
