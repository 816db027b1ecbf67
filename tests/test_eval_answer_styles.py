"""Other systems' answers in the formats they really write, scored against hand-computed figures.

Each fixture file in tests/data/answers answers three questions over the bundled sample
corpus in one system's style. Supported sentences restate their passage; unsupported ones
change a number ($10M -> $50M) or are made up. Expected figures per answer (R = citation
recall, P = precision), macro-averaged over the answers:

- LlamaIndex (`[n]`, source nodes "Source N:" + text), Perplexity (`[^n]` + footnote list)
  with passages, and Perplexity with footnote URLs only (the page text comes from the
  local store): portal R 1 P 1, mentoring R 1 P 1, $10M R 1/2 P 1/2.
- OpenAI web search (`([title](url))` links, text from the store): portal R 1 P 1,
  mentoring R 1/2 (its second sentence has no link) P 1, $10M R 1/2 P 1/2.
- One true cited sentence and three fabricated terse bullets: R 1/4, P 1 (twice).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.datasets import DEFAULT_QUESTIONS, write_jsonl
from eval.runner import RunOptions, run_eval

ANSWERS = Path(__file__).parent / "data" / "answers"
IDS = ("case-portal-number", "trait-mentor-vs-sponsor", "case-10m")
SAMPLE_BASE = "http://127.0.0.1:8000/sample/"


@pytest.fixture(scope="module")
def questions(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("styles") / "questions.jsonl"
    rows = [json.loads(line) for line in DEFAULT_QUESTIONS.read_text().splitlines()]
    write_jsonl(path, [q for q in rows if q["id"] in IDS])
    return path


def score(answers: Path, questions: Path, settings, embedder) -> dict:
    options = RunOptions(questions=questions, answers=answers, only="questions", progress=False)
    return run_eval(options, settings, embedder=embedder)


def per_question(results: dict) -> dict[str, tuple[float | None, float | None]]:
    """(recall, precision) per answered question, rounded for comparison with fractions."""
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 4)

    return {r["id"]: (rounded(r.get("citation_recall")), rounded(r.get("citation_precision")))
            for r in results["questions"]}


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("llamaindex", {"case-portal-number": (1, 1), "trait-mentor-vs-sponsor": (1, 1),
                        "case-10m": (0.5, 0.5)}),
        ("perplexity_passages", {"case-portal-number": (1, 1),
                                 "trait-mentor-vs-sponsor": (1, 1), "case-10m": (0.5, 0.5)}),
        ("perplexity_urls", {"case-portal-number": (1, 1), "trait-mentor-vs-sponsor": (1, 1),
                             "case-10m": (0.5, 0.5)}),
        ("openai_links", {"case-portal-number": (1, 1), "trait-mentor-vs-sponsor": (0.5, 1),
                          "case-10m": (0.5, 0.5)}),
        ("terse_bullets", {"case-portal-number": (0.25, 1),
                           "trait-mentor-vs-sponsor": (0.25, 1), "case-10m": (None, None)}),
    ],
)
def test_each_answer_style_gets_its_hand_computed_scores(style, expected, questions,
                                                         sample_settings, embedder):
    results = score(ANSWERS / f"{style}.jsonl", questions, sample_settings, embedder)
    got = per_question(results)
    assert got == expected, [(r["id"], r.get("unsupported")) for r in results["questions"]]
    answered = [v for v in expected.values() if v[0] is not None]
    metrics = results["metrics"]
    assert metrics["citations.recall_macro"] == pytest.approx(
        sum(r for r, _ in answered) / len(answered))
    assert metrics["citations.precision_macro"] == pytest.approx(
        sum(p for _, p in answered) / len(answered))


def test_url_only_citations_are_read_from_the_local_store_and_say_so(questions, sample_settings,
                                                                      embedder):
    results = score(ANSWERS / "perplexity_urls.jsonl", questions, sample_settings, embedder)
    for row in results["questions"]:
        assert [c["via"] for c in row["citations"]] == ["store", "store"]
        assert all(c["url"].startswith(SAMPLE_BASE) for c in row["citations"])
    assert results["judges"]["evidence_used"]["store"] == 6


def test_url_only_citations_missing_from_the_store_are_fetched_and_extracted(
        questions, sample_site, embedder, tmp_path):
    """No store at all: the pages come from a real local web server, through ingest's fetcher."""
    text = (ANSWERS / "perplexity_urls.jsonl").read_text()
    served = tmp_path / "answers.jsonl"
    served.write_text(text.replace(SAMPLE_BASE, sample_site.url_for("/")))
    results = score(served, questions, make_settings_for(tmp_path), embedder)
    assert per_question(results) == {"case-portal-number": (1, 1),
                                     "trait-mentor-vs-sponsor": (1, 1), "case-10m": (0.5, 0.5)}
    assert {c["via"] for r in results["questions"] for c in r["citations"]} == {"fetched"}
    # One fetch per page, however many footnotes cite it.
    assert sample_site.hits["/case-studies/portal-video-calling-reliability.html"] == 1


def test_a_cited_page_that_cannot_be_found_is_unresolved_and_supports_nothing(
        questions, sample_site, embedder, tmp_path):
    answers = tmp_path / "answers.jsonl"
    write_jsonl(answers, [{"id": "case-portal-number",
                           "answer": f"Video call drops fell by 5%[^1].\n\n"
                                     f"[^1]: {sample_site.url_for('/gone.html')}"}])
    results = score(answers, questions, make_settings_for(tmp_path), embedder)
    row = next(r for r in results["questions"] if r["id"] == "case-portal-number")
    assert row["citations"][0]["via"] == "unresolved"
    assert "404" in row["citations"][0]["detail"]
    assert (row["citation_recall"], row["citation_precision"]) == (0, 0)


def make_settings_for(tmp_path: Path):
    from tests.conftest import make_settings

    return make_settings(tmp_path / "data")


def test_gold_sentence_labels_in_an_answers_file_give_answer_level_validity(
        questions, sample_settings, embedder):
    """The LlamaIndex file carries each sentence's true label: recall 1, 1, 1/2 per answer."""
    results = score(ANSWERS / "llamaindex.jsonl", questions, sample_settings, embedder)
    validity = results["validity"]["answers.validity"]
    assert [(a["id"], a["true_recall"], a["true_precision"]) for a in validity["answers"]] == [
        ("trait-mentor-vs-sponsor", 1.0, 1.0), ("case-portal-number", 1.0, 1.0),
        ("case-10m", 0.5, 0.5)]
    metrics = results["metrics"]
    assert metrics["answers.validity.recall_n"] == 3
    assert metrics["answers.validity.recall_pearson"] == pytest.approx(1.0)
    assert metrics["answers.validity.recall_mean_abs_error"] == 0.0
    assert "gold sentence labels" in results["metric_judges"]["answers.validity.recall_pearson"]
