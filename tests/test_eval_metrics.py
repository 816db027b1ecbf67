"""Eval metrics on small cases whose answers were worked out by hand."""

from __future__ import annotations

import math

import pytest

from eval import metrics as m
from eval.metrics import SentenceJudgement as S

RETRIEVED = [
    "http://127.0.0.1:8000/sample/articles/building-trust.html#:~:text=trust",
    "http://127.0.0.1:8000/sample/articles/building-trust.html",  # same page again
    "http://127.0.0.1:8000/sample/case-studies/portal-video-calling-reliability.html",
    "http://127.0.0.1:8000/sample/articles/ownership-of-outcomes.html",
]
GOLD = ["case-studies/portal-video-calling-reliability.html", "articles/ownership-of-outcomes.html"]


def test_gold_urls_match_as_path_suffix_whatever_the_mount_point():
    assert m.url_matches("https://x.org/blog/a/b.html?utm=1", "a/b.html")
    assert m.url_matches("a/b.html", "/a/b.html")
    assert m.url_matches("https://x.org/a/b.html", "https://other.host/a/b.html")
    assert not m.url_matches("https://x.org/xa/b.html", "a/b.html")


def test_a_gold_file_name_with_punctuation_matches_its_stored_percent_encoded_url(tmp_path):
    # Ingest stores a local file under its file:// URI (and a published one under its
    # quoted path), where "!" and "'" are percent-encoded; datasets name the file as named.
    from ingest.sources import local_url

    name = "2016-10-10-Help!-I'm-becoming-Post-Junior.md"
    folder = tmp_path / "_posts"
    folder.mkdir()
    (folder / name).write_text("# Post-Junior\n", encoding="utf-8")
    gold = [f"_posts/{name}"]
    for stored in (local_url(folder / name, folder, None),
                   local_url(folder / name, tmp_path, "https://blog.example.com/")):
        assert "%21" in stored and "%27" in stored
        assert m.url_matches(stored, gold[0])
        assert m.recall_at_k([stored], gold, 5) == 1.0
    assert not m.url_matches(local_url(folder / name, folder, None), "_posts/Help!-I'm.md")


def test_recall_at_k_counts_distinct_pages_not_chunks():
    # Distinct pages: trust, portal, ownership. Top-2 holds one of the two gold pages.
    assert m.recall_at_k(RETRIEVED, GOLD, 2) == 0.5
    assert m.recall_at_k(RETRIEVED, GOLD, 3) == 1.0
    assert m.recall_at_k(RETRIEVED, GOLD, 1) == 0.0


def test_mrr_and_ndcg_by_hand():
    assert m.reciprocal_rank(RETRIEVED, GOLD) == 0.5  # first gold page is 2nd distinct page
    dcg = 1 / math.log2(3) + 1 / math.log2(4)  # gold at ranks 2 and 3
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert m.ndcg_at_k(RETRIEVED, GOLD, 3) == pytest.approx(dcg / ideal)
    assert m.reciprocal_rank(["https://x/other.html"], GOLD) == 0.0


def test_an_irrelevant_citation_lowers_precision_not_recall():
    # "cut drops by 5% [1][2]": [1] supports alone, [2] does not and is not needed.
    s = S("cut drops by 5%", cited=(1, 2), support=1.0, alone={1: 1.0, 2: 0.0},
          without={1: 0.0, 2: 1.0})
    assert m.citation_relevance(s) == {1: 1.0, 2: 0.0}
    scores = m.answer_citation_scores([s])
    assert scores.recall == 1.0
    assert scores.precision == 0.5


def test_a_citation_that_is_needed_together_with_another_is_relevant():
    # Neither source supports alone, both together do: both are relevant.
    s = S("a and b", cited=(1, 2), support=1.0, alone={1: 0.5, 2: 0.5}, without={1: 0.5, 2: 0.5})
    assert m.citation_relevance(s) == {1: 1.0, 2: 1.0}
    assert m.citation_relevance(s, partial=True) == {1: 1.0, 2: 1.0}


def test_invalid_ids_count_against_precision_and_unsupported_claims_have_no_relevant_citation():
    answer = [
        S("supported", cited=(1, 7), invalid=(7,), support=1.0),  # [7] names no source
        S("wrong figure", cited=(2,), support=0.0, supported_elsewhere=False),
        S("uncited fact", support=0.0, supported_elsewhere=True),
        S("Here is what the sources say:", is_claim=False),
        S("right", cited=(3,), support=1.0),
    ]
    scores = m.answer_citation_scores(answer)
    assert scores.n_claims == 4
    # As in ALCE, citing a missing id loses the sentence its support, whatever [1] says.
    assert scores.recall == pytest.approx(1 / 4)
    assert scores.precision == pytest.approx(1 / 4)  # 4 citations, only [3] relevant
    assert scores.n_invalid == 1
    assert scores.n_uncited == 1
    assert scores.n_misattributed == 0  # the uncited claim is "uncited", not misattributed
    assert scores.n_unsupported_anywhere == 1


def test_partial_support_scores_half():
    s = S("mostly right", cited=(1,), support=0.5, alone={1: 0.5})
    scores = m.answer_citation_scores([s])
    assert scores.recall == 0.0
    assert scores.partial_recall == 0.5
    assert scores.partial_precision == 0.5


def test_macro_and_micro_averages_differ_as_expected():
    a = m.answer_citation_scores([S("x", cited=(1,), support=1.0)])  # 1/1
    b = m.answer_citation_scores([S("y", cited=(1,), support=1.0)] + [
        S(f"z{i}", cited=(1,), support=0.0, supported_elsewhere=True) for i in range(3)
    ])  # 1/4, and three misattributed claims
    agg = m.aggregate_citation_scores([a, b])
    assert agg["recall_macro"] == pytest.approx((1 + 0.25) / 2)
    assert agg["recall_micro"] == pytest.approx(2 / 5)
    assert agg["misattribution_rate"] == pytest.approx(3 / 5)
    assert agg["cited_share"] == 1.0


def test_balanced_accuracy_by_hand():
    # 8 unsupported (6 caught), 2 supported (1 let through): recall 0.75, specificity 0.5.
    gold = [False] * 8 + [True] * 2
    pred = [False] * 6 + [True] * 2 + [True, False]
    scores = m.binary_scores(gold, pred)
    assert (scores.tp, scores.fn, scores.tn, scores.fp) == (6, 2, 1, 1)
    assert scores.accuracy == 0.7
    assert scores.balanced_accuracy == pytest.approx(0.625)
    assert scores.precision == pytest.approx(6 / 7)


def test_per_kind_balanced_accuracy_pairs_a_kind_with_the_opposite_label():
    kinds = ["faithful", "faithful", "number", "number"]
    gold = [True, True, False, False]
    pred = [True, False, True, False]
    by_kind = m.scores_by_kind(kinds, gold, pred)
    assert by_kind["number"]["accuracy"] == 0.5
    # number vs faithful: recall 0.5 on numbers, specificity 0.5 on faithful.
    assert by_kind["number"]["balanced_accuracy"] == 0.5
    assert by_kind["faithful"]["supported"] is True


def test_quotes_key_points_and_latency():
    assert m.quote_found("cut drops\nby 5%", "The team cut drops by 5% in a year.")
    assert not m.quote_found("cut drops by 50%", "The team cut drops by 5% in a year.")
    assert m.key_point_coverage("Escalations fell by 40 %.", ["40%|forty percent", "L4"]) == 0.0
    assert m.key_point_coverage("They PAIRED juniors; escalations fell 40%.",
                                ["pair", "40%|forty percent"]) == 1.0
    assert m.key_point_coverage("anything", []) is None
    assert m.percentile([10, 20, 30, 40], 50) == 25
    assert m.latency_summary([100.0] * 19 + [1000.0])["p95_ms"] == pytest.approx(145.0)
