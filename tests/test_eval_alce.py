"""The citation metrics' rules and each departure from ALCE, on the worked examples of
eval/README.md ("ALCE, and where we depart from it"). Sources are passages of the sample
corpus; the judge is the real offline checker, whose verdicts on these verbatim and
changed-number sentences are unambiguous."""

from __future__ import annotations

import pytest

from app.check.claims import split_claims
from eval import metrics as m
from eval.judging import EvidenceLookup, judge_answer
from eval.metrics import SentenceJudgement as S
from eval.targets import AnswerRecord, CitedSource

DROPS = ("The headline outcome was modest on paper and large in practice: video call drops "
         "fell by 5%.")
LOGS = "The first move was a manual review of about 400 dropped-call logs."
URL = "https://other.example/case-studies/portal.html"


@pytest.fixture(scope="module")
def judge(embedder):
    from app.check.offline import OfflineJudge

    return OfflineJudge(embedder)


def scores_of(answer: str, citations: list[CitedSource], judge) -> m.AnswerCitationScores:
    record = AnswerRecord("q", answer=answer, citations=citations)
    return m.answer_citation_scores(judge_answer(record, judge, EvidenceLookup()))


def test_a_citation_whose_source_has_no_text_is_never_needed(judge):
    """README example 1: "Video call drops fell by 5% [1][2]." with source 2 empty."""
    got = scores_of("Video call drops fell by 5% [1][2].",
                    [CitedSource(1, URL, text=DROPS), CitedSource(2, URL)], judge)
    assert (got.recall, got.precision, got.n_citations, got.n_empty) == (1.0, 0.5, 2, 1)


def test_only_empty_sources_support_nothing(judge):
    got = scores_of("Video call drops fell by 5% [2].", [CitedSource(2, URL)], judge)
    assert (got.recall, got.precision) == (0.0, 0.0)


def test_citing_a_missing_id_earns_no_recall_from_the_valid_citation(judge):
    """README example 2 (as ALCE): "... [1][7]." with no source 7, then a correct sentence."""
    got = scores_of("Video call drops fell by 5% [1][7]. The first move was a manual review of "
                    "about 400 dropped-call logs [2].",
                    [CitedSource(1, URL, text=DROPS), CitedSource(2, URL, text=LOGS)], judge)
    assert got.recall == 0.5  # ALCE: 1/2 as well
    # Departure: ALCE leaves the out-of-range sentence's citations out of precision (1/1);
    # we count both as irrelevant, so citing a source that does not exist costs precision.
    assert got.precision == pytest.approx(1 / 3)
    assert got.n_invalid == 1


def test_headings_connectives_and_footnote_definitions_are_not_claims():
    """README example 3: ALCE would score all five lines' sentences; we score one claim."""
    answer = ("## Portal\nHere is what the sources say:\n- Video call drops fell by 5% [^1]\n\n"
              "[^1]: https://other.example/case-studies/portal.html\n")
    assert [c.kind for c in split_claims(answer) if c.is_claim] == ["bullet"]


def test_the_whole_answer_is_scored_not_only_its_first_line(judge):
    """README example 4: ALCE keeps only the first line of an output; we keep every line."""
    got = scores_of("Video call drops fell by 5% [1].\nThe first move was a manual review of "
                    "about 400 dropped-call logs [2].",
                    [CitedSource(1, URL, text=DROPS), CitedSource(2, URL, text=LOGS)], judge)
    assert (got.n_claims, got.recall) == (2, 1.0)


def test_every_citation_counts_not_only_the_first_three():
    """README example 5: "[1][2][3][4]" where only [4] supports (ALCE caps at 3: recall 0)."""
    s = S("drops fell by 5%", cited=(1, 2, 3, 4), support=1.0,
          alone={1: 0.0, 2: 0.0, 3: 0.0, 4: 1.0}, without={1: 1.0, 2: 1.0, 3: 1.0, 4: 0.0})
    got = m.answer_citation_scores([s])
    assert (got.recall, got.precision) == (1.0, 0.25)


def test_an_answer_without_citations_is_left_out_of_macro_precision():
    """README example 6: ALCE scores its precision 0; we leave it out of the average."""
    uncited = m.answer_citation_scores([S("drops fell by 5%", support=0.0)])
    cited = m.answer_citation_scores([S("drops fell by 5%", cited=(1,), support=1.0)])
    assert (uncited.recall, uncited.n_citations) == (0.0, 0)
    agg = m.aggregate_citation_scores([uncited, cited])
    assert agg["precision_macro"] == 1.0  # ALCE: (0 + 1) / 2
    assert agg["recall_macro"] == 0.5  # as ALCE


def test_a_repeated_citation_counts_once(judge):
    """README example 7: "[1][1]" is one citation (ALCE counts two)."""
    got = scores_of("Video call drops fell by 5% [1][1].", [CitedSource(1, URL, text=DROPS)],
                    judge)
    assert (got.n_citations, got.precision) == (1, 1.0)


def test_partial_support_only_moves_the_partial_figures():
    """README example 8: a half-supported sentence is 0 for recall, 0.5 for partial recall."""
    got = m.answer_citation_scores([S("mostly right", cited=(1,), support=0.5, alone={1: 0.5})])
    assert (got.recall, got.partial_recall, got.precision, got.partial_precision) == (
        0.0, 0.5, 0.0, 0.5)


def test_a_link_cites_the_listed_source_with_that_url(judge):
    """README example 9: `[title](url)` names the citation whose url it is (ALCE reads `[n`)."""
    got = scores_of(f"Video call drops fell by 5% ([Portal]({URL})).",
                    [CitedSource(1, URL, text=DROPS)], judge)
    assert (got.n_citations, got.recall, got.precision) == (1, 1.0, 1.0)
