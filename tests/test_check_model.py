"""The shipped support model matches the features the judge computes and records its origin."""

from __future__ import annotations

from app.check.offline import CHECKS, FEATURES
from app.check.support_model import load_support_model


def test_the_shipped_model_reads_exactly_the_features_the_judge_computes() -> None:
    model = load_support_model()
    assert model.features == FEATURES
    assert len(model.coef) == len(model.mean) == len(model.scale) == len(FEATURES)


def test_its_thresholds_and_vetoes_were_chosen_on_dev_and_are_recorded() -> None:
    model = load_support_model()
    assert 0 < model.partial_threshold <= model.threshold < 1
    assert model.vetoes <= {name for name, _ in CHECKS}
    assert model.provenance["command"] == "careerqa eval train-checker"
    assert "dev" in model.provenance["fitted_on"]
    for name in model.vetoes:
        counts = model.provenance["veto_counts_on_dev"][name]
        assert counts["errors_removed"] > counts["errors_added"]
