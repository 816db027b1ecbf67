"""The quality gate: a TOML file of floors (and ceilings) that a results dict must meet.

    [floors]                       # higher is better: fail below
    "checker.balanced_accuracy" = 0.85
    [ceilings]                     # lower is better: fail above
    "answers.latency_p95_ms" = 5000

Dotted keys may be written bare (checker.balanced_accuracy = 0.85): TOML nests them,
and they are flattened back into the metric name.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.datasets import DatasetError

EXIT_GATE_FAILED = 3


@dataclass(frozen=True)
class GateFailure:
    metric: str
    value: float | None
    bound: float
    kind: str  # floor | ceiling

    def __str__(self) -> str:
        if self.value is None:
            return f"{self.metric}: missing from the results (gate needs {self.kind} {self.bound})"
        word = "below floor" if self.kind == "floor" else "above ceiling"
        return f"{self.metric} = {self.value:.4g} {word} {self.bound:g}"


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def load_gate(path: Path) -> dict[str, dict[str, float]]:
    """{"floors": {...}, "ceilings": {...}} from a gate file; bad files are DatasetErrors."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such gate file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: not valid TOML ({exc})") from exc
    unknown = set(data) - {"floors", "ceilings"}
    if unknown:
        raise DatasetError(f"{path}: unknown table(s) {sorted(unknown)}; use [floors]/[ceilings]")
    gate: dict[str, dict[str, float]] = {}
    for table in ("floors", "ceilings"):
        bounds = _flatten(data.get(table, {}))
        for name, value in bounds.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise DatasetError(f"{path}: [{table}] {name} must be a number")
        gate[table] = {k: float(v) for k, v in bounds.items()}
    if not gate["floors"] and not gate["ceilings"]:
        raise DatasetError(f"{path}: no [floors] or [ceilings] given")
    return gate


def check_gate(metrics: dict[str, Any], gate: dict[str, dict[str, float]]) -> list[GateFailure]:
    """Every bound the metrics miss; a metric the run did not produce fails its bound."""
    failures: list[GateFailure] = []
    for name, bound in gate.get("floors", {}).items():
        value = metrics.get(name)
        if not isinstance(value, int | float) or value < bound:
            failures.append(GateFailure(name, value if isinstance(value, int | float) else None,
                                        bound, "floor"))
    for name, bound in gate.get("ceilings", {}).items():
        value = metrics.get(name)
        if not isinstance(value, int | float) or value > bound:
            failures.append(GateFailure(name, value if isinstance(value, int | float) else None,
                                        bound, "ceiling"))
    return failures
