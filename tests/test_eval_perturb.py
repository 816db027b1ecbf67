"""The checker-set generator: each perturbation makes the change it reports, deterministically."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from core.settings import SAMPLE_SITE_DIR
from eval.corpus import load_site
from eval.datasets import DEFAULT_CHECKER_SET, SUPPORTED_KINDS, load_checker_cases
from eval.perturb import (
    CheckerSetBuilder,
    change_number,
    drop_hedge,
    flip_negation,
    reorder_clauses,
    swap_entity,
    swap_synonym,
)

RNG = random.Random(0)


@pytest.fixture(scope="module")
def sample_corpus():
    return load_site(SAMPLE_SITE_DIR)


@pytest.mark.parametrize(
    ("sentence", "expected", "description"),
    [
        ("The team cut video call drops by 5%.", "The team cut video call drops by 50%.",
         "number: '5%' -> '50%'"),
        ("The refactor saved $10M a year.", "The refactor saved $100M a year.",
         "number: '$10M' -> '$100M'"),
        ("Within a year, 3 of the L5 engineers were promo-ready.",
         "Within a year, 7 of the L5 engineers were promo-ready.", "number: '3' -> '7'"),
    ],
)
def test_number_change_changes_the_figure_it_names(sentence, expected, description):
    change = change_number(sentence, RNG)
    assert change is not None
    assert (change.sentence, change.description) == (expected, description)


def test_number_change_leaves_levels_years_and_identifiers_alone():
    assert change_number("L5 engineers at p99 in 2025 used a 30-60-90 plan.", RNG) is None


def test_negation_removes_or_inserts_not():
    removed = flip_negation("One strong quarter does not create that evidence.", RNG)
    assert removed is not None
    assert removed.sentence == "One strong quarter does create that evidence."
    assert "removed 'not'" in removed.description
    inserted = flip_negation("Trust is the currency of staff-level work.", RNG)
    assert inserted is not None
    assert inserted.sentence == "Trust is not the currency of staff-level work."
    assert inserted.description == "negation: inserted 'not' after 'is'"


def test_negation_is_not_stacked_on_another_negative():
    assert flip_negation("The most expensive bugs are rarely the loud ones.", RNG) is None


def test_entity_swap_uses_the_group_and_skips_names_the_source_mentions():
    groups = [("Meta", "Google"), ("L4", "L5")]
    change = swap_entity("Ownership of postmortems was delegated to L4 engineers.", RNG, groups)
    assert change is not None
    assert change.sentence == "Ownership of postmortems was delegated to L5 engineers."
    assert change.description == "entity: 'L4' -> 'L5'"
    # "At Google and Google" would still be true of a source naming both companies.
    assert swap_entity("At Meta, senior is L5.", RNG, [("Meta", "Google")],
                       context="At Meta and Google, senior maps to L5.") is None


def test_entity_swap_keeps_the_article_agreeing():
    change = swap_entity("A tech lead may act as a solver.", RNG, [("tech lead", "architect")])
    assert change is not None
    assert change.sentence == "An architect may act as a solver."


def test_paraphrase_rules_preserve_the_claim():
    reordered = reorder_clauses(
        "When a decision goes against you, your response shapes your influence.", RNG,
        lambda w: w.lower() in {"your"},
    )
    assert reordered is not None
    assert reordered.sentence == (
        "Your response shapes your influence when a decision goes against you."
    )
    # "long after" belongs together: no reordering that would change the meaning.
    assert reorder_clauses("Those questions keep working long after the mentoring ends.", RNG,
                           lambda w: True) is None
    original = "Recurring binary-size issues fell by 70%."
    synonym = swap_synonym(original, random.Random(3))
    assert synonym is not None
    assert "70%" in synonym.sentence and synonym.sentence != original
    assert synonym.description.startswith("paraphrase: synonym")
    hedge = drop_hedge("A senior engineer usually plans in quarters.", RNG)
    assert hedge is not None
    assert hedge.sentence == "A senior engineer plans in quarters."


def test_generator_makes_every_kind_deterministically(sample_corpus):
    first = CheckerSetBuilder(sample_corpus, seed=7).build(size=70)
    again = CheckerSetBuilder(sample_corpus, seed=7).build(size=70)
    assert [c.to_json() for c in first] == [c.to_json() for c in again]
    kinds = Counter(c.kind for c in first)
    assert set(kinds) == {"faithful", "paraphrase", "number", "negation", "entity",
                          "wrong_source", "extra_clause"}
    for case in first:
        assert case.supported == (case.kind in SUPPORTED_KINDS)
        cited = [s for s in case.sources if s.id in case.citations]
        assert len(cited) == 1 and len(case.sources) >= 2
        assert case.change
        if case.kind == "faithful":
            assert case.sentence in cited[0].text
        elif case.kind in ("number", "negation", "entity", "extra_clause"):
            assert case.sentence not in cited[0].text
        if case.kind == "wrong_source":
            assert cited[0].url != case.extra["origin"]
            assert case.sentence in " ".join(s.text for s in case.sources)  # the true source


def test_shipped_checker_set_is_large_and_labelled(sample_corpus):
    cases = load_checker_cases(DEFAULT_CHECKER_SET)
    assert len(cases) >= 300
    kinds = Counter(c.kind for c in cases)
    assert min(kinds.values()) >= 30
    assert all(c.supported == (c.kind in SUPPORTED_KINDS) for c in cases)
