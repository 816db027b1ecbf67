"""The PNG chart of a run: checker accuracy per kind (and baselines), citations per question."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def render_chart(results: dict[str, Any], path: Path) -> Path | None:
    """Draw what the results hold; None when there is nothing to draw."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    checker = results.get("checker")
    questions = [q for q in results.get("questions", []) if q.get("citation_recall") is not None]
    panels = int(bool(checker)) + int(bool(questions))
    if panels == 0:
        return None
    fig, axes = plt.subplots(panels, 1, figsize=(11, 4.2 * panels), squeeze=False)
    row = 0
    if checker:
        ax = axes[row][0]
        row += 1
        systems = checker["systems"]
        kinds = sorted(systems["checker"]["by_kind"])
        width = 0.8 / len(systems)
        for i, (name, data) in enumerate(systems.items()):
            values = [data["by_kind"][k]["accuracy"] or 0.0 for k in kinds]
            ax.bar([x + i * width for x in range(len(kinds))], values, width, label=name)
        ax.set_xticks([x + width * (len(systems) - 1) / 2 for x in range(len(kinds))])
        ax.set_xticklabels(kinds)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("accuracy")
        ax.set_title("Citation checker accuracy by case kind (gold labels)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=len(systems), fontsize=8)
    if questions:
        ax = axes[row][0]
        ids = [q["id"] for q in questions]
        xs = range(len(ids))
        ax.bar([x - 0.2 for x in xs], [q["citation_recall"] for q in questions], 0.4,
               label="citation recall")
        ax.bar([x + 0.2 for x in xs], [q.get("citation_precision") or 0.0 for q in questions],
               0.4, label="citation precision")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(ids, rotation=90, fontsize=6)
        ax.set_ylim(0, 1.05)
        judge = results.get("judges", {}).get("answers", "")
        ax.set_title(f"Citation scores per question (judge: {judge})", fontsize=9)
        ax.legend(loc="upper right", bbox_to_anchor=(1.0, 1.16), ncol=2, fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
