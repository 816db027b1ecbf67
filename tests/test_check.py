"""The citation checker end to end, with the real embedding model: verdicts, reasons and metrics.

Recall and precision follow ALCE; the expected numbers below are worked out by hand in each test.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from app.check import CheckReport, CitationChecker, OfflineJudge, SourceText, strip_unsupported
from core.settings import Settings

CASES = Path(__file__).parent / "data" / "checker_cases.jsonl"
# Measured 0.981 balanced accuracy with the bundled all-MiniLM-L6-v2; the floor leaves headroom
# for model-version jitter, not for regressions.
BALANCED_ACCURACY_FLOOR = 0.95
PER_KIND_FLOOR = 0.7

INSTAGRAM = SourceText(
    id=1,
    text=(
        "This case study looks at an engineer at Instagram who redesigned their team's on-call "
        "process from the ground up. Alert fatigue fell by 50%, and escalations between teams got "
        "noticeably smoother.\n\nThe team's pager fired dozens of times in a typical week. Many of "
        "those pages needed no action at all. The on-call engineer often did not know which team "
        "owned a failing dependency. The work took about three months alongside regular project "
        "work. The highest-severity pages had to be acknowledged within fifteen minutes."
    ),
    url="https://example.test/case-studies/instagram-on-call-overhaul.html",
)
ROBINHOOD = SourceText(
    id=2,
    text=(
        "This case study follows a staff engineer at Robinhood who built an on-call rotation "
        "program. The program paired junior engineers with senior engineers while incidents were "
        "happening. The staff engineer also handed ownership of postmortems to L4 engineers. "
        "Escalations fell by 40%."
    ),
)
META = SourceText(
    id=3,
    text=(
        "This case study follows an engineer at Meta who traced a sporadic performance "
        "degradation spanning 5 teams to a single overlooked interface issue. Refactoring the "
        "system saved $10M a year in cloud costs. The refactor and caller migration took roughly "
        "one quarter."
    ),
)
ON_CALL_ARTICLE = SourceText(
    id=4,
    text=(
        "An engineer at Instagram redesigned the team's on-call process from the ground up. The "
        "overhaul cut alert fatigue by 50%. Escalation protocols between teams also became clearer."
    ),
)
SOURCES = [INSTAGRAM, ROBINHOOD, META]


@pytest.fixture(scope="module")
def checker(embedder) -> CitationChecker:
    return CitationChecker(OfflineJudge(embedder), threshold=0.8)


def only(report: CheckReport):
    claims = [s for s in report.sentences if s.verdict != "not_a_claim"]
    assert len(claims) == 1, claims
    return claims[0]


# --- recall and precision ---------------------------------------------------------------


def test_a_fully_supported_answer_has_recall_and_precision_one(checker) -> None:
    report = checker.check("Alert fatigue fell by 50% [1]. Escalations fell by 40% [2].", SOURCES)
    assert (report.recall, report.precision, report.partial_recall) == (1.0, 1.0, 1.0)
    assert report.passed and report.problems == [] and report.n_citations == 2


def test_a_citation_that_adds_nothing_halves_precision(checker) -> None:
    # [1] supports the sentence alone; [2] does not, and dropping it leaves [1] still
    # supporting: [2] is irrelevant, so precision is 1 of 2 citations.
    report = checker.check("Alert fatigue fell by 50% [1][2].", SOURCES)
    sentence = only(report)
    assert sentence.verdict == "supported"
    assert [(c.id, c.supports, c.irrelevant) for c in sentence.citation_checks] == [
        (1, True, False),
        (2, False, True),
    ]
    assert (report.recall, report.precision) == (1.0, 0.5)


def test_citations_needed_together_are_all_relevant(checker) -> None:
    # Neither source alone supports both clauses; without either one the rest no longer
    # supports the sentence, so neither citation is irrelevant.
    answer = (
        "Alert fatigue fell by 50% at Instagram, and escalations fell by 40% at Robinhood [1][2]."
    )
    report = checker.check(answer, SOURCES)
    sentence = only(report)
    assert sentence.verdict == "supported"
    assert [(c.supports, c.irrelevant) for c in sentence.citation_checks] == [
        (False, False),
        (False, False),
    ]
    assert report.precision == 1.0


def test_two_citations_that_each_support_the_sentence_are_both_relevant(checker) -> None:
    report = checker.check("Alert fatigue fell by 50% [1][4].", [*SOURCES, ON_CALL_ARTICLE])
    assert [c.supports for c in only(report).citation_checks] == [True, True]
    assert report.precision == 1.0


def test_recall_precision_and_partial_recall_over_mixed_claims(checker) -> None:
    answer = (
        "Alert fatigue fell by 50% [1]. "  # supported
        "Escalations fell by 40% [2]. "  # supported
        "The work took about three months alongside regular project work, and the team doubled "
        "its headcount [1]. "  # partial: extra clause
        "Refactoring the system saved $100M a year in cloud costs [3]."  # unsupported: number
    )
    report = checker.check(answer, SOURCES)
    assert [s.verdict for s in report.sentences] == [
        "supported",
        "supported",
        "partial",
        "unsupported",
    ]
    # recall 2/4; partial recall (2 + 0.5)/4; the citations of the two failing sentences are
    # irrelevant by ALCE's definition, so precision is 2/4.
    assert report.recall == 0.5
    assert report.partial_recall == 0.625
    assert report.precision == 0.5
    assert not report.passed
    assert [(p.sentence_index, p.reason) for p in report.problems] == [
        (2, "extra_clause"),
        (3, "number_mismatch"),
    ]


def test_an_answer_without_claims_passes_vacuously(checker) -> None:
    report = checker.check("The sources do not say how long the rollout took.", SOURCES)
    assert (report.n_claims, report.recall, report.precision, report.passed) == (0, 1.0, 1.0, True)


# --- citation errors ----------------------------------------------------------------------


def test_a_citation_to_a_missing_source_is_invalid_and_fails_the_answer(checker) -> None:
    report = checker.check(
        "Alert fatigue fell by 50% [1][7]. Escalations fell by 40% [9].", SOURCES
    )
    first, second = report.sentences
    assert first.verdict == "supported"
    assert [(c.id, c.valid, c.irrelevant) for c in first.citation_checks] == [
        (1, True, False),
        (7, False, True),
    ]
    assert (second.verdict, second.reason, second.supported_by) == (
        "unsupported",
        "invalid_citation",
        2,
    )
    assert report.recall == 0.5 and report.precision == pytest.approx(1 / 3)
    assert not report.passed
    assert {(p.sentence_index, p.reason, p.citation) for p in report.problems} == {
        (0, "invalid_citation", 7),
        (1, "invalid_citation", None),
    }


def test_an_uncited_factual_sentence_is_no_citation_and_names_a_source_that_supports_it(
    checker,
) -> None:
    report = checker.check("Alert fatigue fell by 50% [1]. Escalations fell by 40%.", SOURCES)
    second = report.sentences[1]
    assert (second.verdict, second.reason, second.supported_by) == (
        "unsupported",
        "no_citation",
        2,
    )
    assert report.recall == 0.5


def test_connective_sentences_and_headings_are_not_claims(checker) -> None:
    answer = "## On-call\n\nHere is what the sources say:\n\n- Alert fatigue fell by 50% [1]\n"
    report = checker.check(answer, SOURCES)
    assert [s.verdict for s in report.sentences] == ["not_a_claim", "not_a_claim", "supported"]
    assert report.n_claims == 1 and report.recall == 1.0


def test_a_quote_missing_from_its_source_is_reported(checker) -> None:
    quotes = {
        1: "Alert fatigue fell by 50%,\n and escalations … got noticeably smoother.",
        2: "Escalations fell by 90%.",
    }
    report = checker.check(
        "Alert fatigue fell by 50% [1]. Escalations fell by 40% [2].", SOURCES, quotes=quotes
    )
    found = {c.id: c.quote_found for s in report.sentences for c in s.citation_checks}
    assert found == {1: True, 2: False}
    assert [(p.sentence_index, p.reason, p.citation) for p in report.problems] == [
        (1, "quote_not_found", 2)
    ]


def test_a_sentence_its_citation_does_not_support_names_the_source_that_does(checker) -> None:
    sentence = only(checker.check("Escalations fell by 40% [1].", SOURCES))
    assert (sentence.verdict, sentence.reason, sentence.supported_by) == (
        "unsupported",
        "wrong_source",
        2,
    )
    assert sentence.best_source == 2 and sentence.best_quote == "Escalations fell by 40%."


def test_extra_sources_are_candidates_for_misattribution(checker) -> None:
    extra = SourceText(id="r7", text=ROBINHOOD.text)
    sentence = only(
        checker.check("Escalations fell by 40% [1].", [INSTAGRAM], extra_sources=[extra])
    )
    assert (sentence.reason, sentence.supported_by) == ("wrong_source", "r7")


def test_a_claim_no_source_supports_is_low_similarity_without_a_supporter(checker) -> None:
    sentence = only(checker.check("The team adopted a four-day work week [1].", SOURCES))
    assert (sentence.verdict, sentence.reason, sentence.supported_by) == (
        "unsupported",
        "low_similarity",
        None,
    )


# --- hard negatives -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("Alert fatigue fell by 5% [1].", "number_mismatch"),
        ("Refactoring the system saved $100M a year in cloud costs [3].", "number_mismatch"),
        (
            "The highest-severity pages had to be acknowledged within fifty minutes [1].",
            "number_mismatch",
        ),
        ("Many of those pages needed immediate action [1].", "negation"),
        ("The on-call engineer always knew which team owned a failing dependency [1].", "negation"),
        (
            "This case study looks at an engineer at Google who redesigned their team's on-call "
            "process from the ground up [1].",
            "entity_mismatch",
        ),
        (
            "The staff engineer also handed ownership of postmortems to L5 engineers [2].",
            "entity_mismatch",
        ),
        (
            "The program paired junior engineers with principal engineers while incidents were "
            "happening [2].",
            "entity_mismatch",
        ),
        (
            "The work took about three months alongside regular project work, and the team hired "
            "two site reliability engineers [1].",
            "extra_clause",
        ),
        ("Escalations fell by 40% [3].", "wrong_source"),
    ],
)
def test_each_hard_negative_is_caught_with_its_reason(checker, answer: str, reason: str) -> None:
    sentence = only(checker.check(answer, SOURCES))
    assert sentence.verdict != "supported"
    assert sentence.reason == reason, sentence.message


@pytest.mark.parametrize(
    "answer",
    [
        "Refactoring the system saved $10 million a year in cloud costs [3].",
        "An engineer at Meta traced a sporadic performance degradation spanning five teams [3].",
        "Alert fatigue dropped by half [1].",
        "The on-call engineer frequently didn't know which team owned a failing dependency [1].",
        "Ownership of postmortems went to L4 engineers [2].",
    ],
)
def test_equivalent_figures_negations_and_names_are_supported(checker, answer: str) -> None:
    assert only(checker.check(answer, SOURCES)).verdict == "supported"


def test_a_reworded_sentence_with_the_same_facts_is_supported(checker) -> None:
    # Passive voice, "ones" for "engineers", "live incidents" for "while incidents were happening".
    answer = "Junior engineers were paired with senior ones during live incidents [2]."
    sentence = only(checker.check(answer, SOURCES))
    assert sentence.verdict == "supported", sentence.message
    assert sentence.best_source == 2


def test_best_quote_is_an_exact_substring_of_the_best_source(checker) -> None:
    report = checker.check(
        "The engineer rebuilt on-call at Instagram, cutting alert fatigue in half [1].", SOURCES
    )
    sentence = only(report)
    assert sentence.best_source == 1
    assert sentence.best_quote and sentence.best_quote in INSTAGRAM.text


# --- strict mode ------------------------------------------------------------------------------

STRUCTURED = """## What changed

Alert fatigue fell by 50% [1]. Alert fatigue fell by 90% [1].

### Staffing

- The team hired ten site reliability engineers [1].

### Escalations

- Escalations fell by 40% [2].
"""


def test_strict_mode_drops_unsupported_sentences_and_empty_headings(embedder) -> None:
    strict = CitationChecker(OfflineJudge(embedder), threshold=0.8, strict=True)
    report = strict.check(STRUCTURED, SOURCES)
    assert report.strict_answer == (
        "## What changed\n\nAlert fatigue fell by 50% [1].\n\n"
        "### Escalations\n\n- Escalations fell by 40% [2].\n"
    )


def test_strip_unsupported_keeps_an_answer_that_passed_unchanged(checker) -> None:
    answer = "## On-call\n\n- Alert fatigue fell by 50% [1]\n- Escalations fell by 40% [2]\n"
    assert strip_unsupported(answer, checker.check(answer, SOURCES)) == answer
    assert checker.check(answer, SOURCES).strict_answer is None


def test_checker_from_settings_uses_the_configured_threshold_and_strictness(embedder) -> None:
    settings = Settings(check_threshold=0.5, check_strict=True, _env_file=None)
    checker = CitationChecker.from_settings(settings, embedder)
    report = checker.check("Alert fatigue fell by 50% [1]. Alert fatigue fell by 9% [1].", SOURCES)
    assert report.threshold == 0.5 and report.passed
    assert report.strict_answer == "Alert fatigue fell by 50% [1]."


# --- speed: what gets embedded --------------------------------------------------------------


class CountingEmbedder:
    """The real model, recording each batch it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.batches: list[list[str]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.batches.append(list(texts))
        return self.inner.embed(texts)


def test_each_check_embeds_in_one_batch_and_repeated_sources_are_not_re_embedded(
    embedder,
) -> None:
    counting = CountingEmbedder(embedder)
    checker = CitationChecker(OfflineJudge(counting))
    first = "Alert fatigue went down by half at Instagram [1]. Robinhood's escalations dropped [2]."
    checker.check(first, SOURCES)
    assert len(counting.batches) == 1

    checker.check(first, SOURCES)
    assert len(counting.batches) == 1  # everything cached

    checker.check("At Instagram, pages that had been ignored became rarer [1].", SOURCES)
    assert len(counting.batches) == 2
    source_sentences = {s for batch in counting.batches[:1] for s in batch if s in INSTAGRAM.text}
    assert source_sentences and not source_sentences & set(counting.batches[1])


def test_prewarmed_sources_leave_only_the_answer_sentences_to_embed(embedder) -> None:
    counting = CountingEmbedder(embedder)
    judge = OfflineJudge(counting)
    assert judge.prewarm(s.text for s in SOURCES) == 14  # every sentence of the three sources
    counting.batches.clear()
    CitationChecker(judge).check("Ignored pages became rarer at Instagram [1].", SOURCES)
    assert counting.batches == [["Ignored pages became rarer at Instagram."]]


def test_a_near_verbatim_answer_needs_no_embedding_at_all(embedder) -> None:
    counting = CountingEmbedder(embedder)
    CitationChecker(OfflineJudge(counting)).check(
        "Alert fatigue fell by 50% [1]. Escalations fell by 40% [2].", SOURCES
    )
    assert counting.batches == []


# --- the labelled cases -----------------------------------------------------------------------


def load_cases() -> list[dict]:
    return [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines()]


def test_the_case_file_is_balanced_and_well_formed() -> None:
    cases = load_cases()
    assert len(cases) >= 150
    assert len({c["id"] for c in cases}) == len(cases)
    faithful = sum(c["supported"] for c in cases)
    assert abs(faithful - (len(cases) - faithful)) <= len(cases) * 0.1
    for case in cases:
        ids = {s["id"] for s in case["sources"]}
        assert set(case["citations"]) <= ids and case["sentence"].strip()
        assert case["supported"] == (case["kind"] in {"verbatim", "paraphrase"})


@pytest.mark.slow
def test_offline_checker_accuracy_on_the_labelled_cases(checker, capsys) -> None:
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    confusion = defaultdict(int)
    for case in load_cases():
        markers = "".join(f"[{c}]" for c in case["citations"])
        report = checker.check(
            f"{case['sentence']} {markers}", [SourceText(**s) for s in case["sources"]]
        )
        predicted = only(report).verdict == "supported"
        tally[case["kind"]][0] += predicted == case["supported"]
        tally[case["kind"]][1] += 1
        confusion[(case["supported"], predicted)] += 1
    tpr = confusion[(True, True)] / (confusion[(True, True)] + confusion[(True, False)])
    tnr = confusion[(False, False)] / (confusion[(False, False)] + confusion[(False, True)])
    balanced = (tpr + tnr) / 2
    with capsys.disabled():
        print(f"\nbalanced accuracy {balanced:.3f} (supported {tpr:.3f}, unsupported {tnr:.3f})")
        for kind, (right, total) in sorted(tally.items()):
            print(f"  {kind:<15} {right}/{total} = {right / total:.3f}")
    assert balanced >= BALANCED_ACCURACY_FLOOR
    assert all(right / total >= PER_KIND_FLOOR for right, total in tally.values()), dict(tally)


# --- paraphrases that used to trip the discrete checks ---------------------------------------

HANDBOOK = SourceText(
    id=1,
    text=(
        "Each engineer joins the on-call rotation for about 2 weeks per year. The handover "
        "meeting takes ~1.5h per rotation: 30m of prep, 30m of meeting, 30m of follow-up. "
        "Managers pick the facilitator by rotation rather than by seniority."
    ),
)


@pytest.mark.parametrize(
    "answer",
    [
        # "an hour and a half" is the "~1.5h" of the source: no figure is missing.
        "The handover meeting takes an hour and a half per rotation [1].",
        # A contrast in the source ("rather than by seniority") is not a denial of seniority.
        "The facilitator is chosen by rotation, not by seniority [1].",
    ],
)
def test_faithful_rewordings_of_figures_and_contrasts_are_supported(checker, answer) -> None:
    sentence = only(checker.check(answer, [HANDBOOK]))
    assert sentence.verdict == "supported", sentence.message


def test_a_changed_duration_in_a_rewording_is_still_a_number_mismatch(checker) -> None:
    sentence = only(checker.check("The handover meeting takes two hours per rotation [1].",
                                  [HANDBOOK]))  # fmt: skip
    assert sentence.verdict != "supported"
    assert sentence.reason == "number_mismatch"


def test_a_figure_in_the_heading_above_the_sentences_backs_the_claim(checker) -> None:
    # The level is stated once, in the heading; the bullets under it do not repeat it.
    ladder = SourceText(id=1, text=(
        "#### Engineer 2\n\n* Ships small changes every week.\n* Asks for help when blocked.\n"
        "* Writes tests that other engineers can follow.\n* Reviews the code of fellow "
        "engineers.\n* Mentors intern engineers.\n\n#### Engineer 3\n\n* Owns a whole service.\n"
    ))  # fmt: skip
    claim = ("An Engineer {} writes tests that other engineers can follow, reviews the code of "
             "fellow engineers and mentors intern engineers [1].")
    sentence = only(checker.check(claim.format(2), [ladder]))
    assert sentence.verdict == "supported", sentence.message
    wrong = only(checker.check(claim.format(4), [ladder]))
    assert wrong.verdict != "supported"
    assert "4" in (wrong.message or "")
