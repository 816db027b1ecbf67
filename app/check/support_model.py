"""The learned decision: a logistic regression over alignment features, read from a small JSON file.

`careerqa eval train-checker` fits it on the dev side of the labelled sets and writes
`app/check/support_model.json`: the feature names, their standardisation, the weights, the
decision thresholds chosen on dev, the discrete checks allowed to veto, and where all of it came
from. The probability it returns is what `SentenceCheck.score` reports.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_MODEL = Path(__file__).resolve().parent / "support_model.json"


@dataclass(frozen=True)
class SupportModel:
    """P(supported | features), with the thresholds that turn it into a verdict."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float  # at or above: supported
    partial_threshold: float  # at or above (and below `threshold`): partial
    vetoes: frozenset[str] = frozenset()  # discrete checks that overrule a high probability
    provenance: dict[str, Any] = field(default_factory=dict, compare=False)

    def probability(self, values: Mapping[str, float]) -> float:
        z = self.intercept
        for name, mean, scale, coef in zip(
            self.features, self.mean, self.scale, self.coef, strict=True
        ):
            z += coef * (values[name] - mean) / scale
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
            "coef": list(self.coef), "intercept": self.intercept, "threshold": self.threshold,
            "partial_threshold": self.partial_threshold, "vetoes": sorted(self.vetoes),
            "provenance": self.provenance,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SupportModel:
        return cls(
            features=tuple(data["features"]),
            mean=tuple(float(v) for v in data["mean"]),
            scale=tuple(float(v) for v in data["scale"]),
            coef=tuple(float(v) for v in data["coef"]),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            partial_threshold=float(data["partial_threshold"]),
            vetoes=frozenset(data.get("vetoes", ())),
            provenance=dict(data.get("provenance", {})),
        )


@lru_cache(maxsize=4)
def load_support_model(path: Path = DEFAULT_MODEL) -> SupportModel:
    """The model stored at `path` (the shipped one by default)."""
    return SupportModel.from_json(json.loads(path.read_text(encoding="utf-8")))
