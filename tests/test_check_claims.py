"""Splitting answers into claims: citation markers, sentence boundaries, headings and bullets."""

from __future__ import annotations

import pytest

from app.check.claims import footnote_definitions, is_connective, parse_markers, split_claims
from app.check.sentences import sentence_spans


def claims_of(answer: str) -> list[tuple[str, str, tuple]]:
    return [(c.kind, c.text, c.citations) for c in split_claims(answer)]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("Alert fatigue fell by 50% [1].", (1,)),
        ("Alert fatigue fell by 50%.[1]", (1,)),
        ("Alert fatigue fell by 50% [1][2].", (1, 2)),
        ("Alert fatigue fell by 50% [1, 2].", (1, 2)),
        ("Alert fatigue fell by 50% [1;3].", (1, 3)),
        ("Alert fatigue fell by 50% [1-3].", (1, 2, 3)),
        ("Alert fatigue fell by 50% [2–4].", (2, 3, 4)),
        ("Alert fatigue fell by 50% [3-1].", (1, 2, 3)),
        ("Alert fatigue fell by 50% [1-2, 5][7].", (1, 2, 5, 7)),
        ("Alert fatigue fell by 50% [Source 2].", (2,)),
        ("Alert fatigue fell by 50% [S1][doc-2].", ("S1", "doc-2")),
        ("Alert fatigue [1] fell by 50% [2].", (1, 2)),
    ],
)
def test_every_marker_form_is_parsed(text: str, ids: tuple) -> None:
    clean, found = parse_markers(text)
    assert found == ids
    assert clean == "Alert fatigue fell by 50%." or "[" not in clean


def test_markers_are_removed_and_spacing_before_the_period_is_tidied() -> None:
    assert parse_markers("Alert fatigue fell by 50% [1][2].")[0] == "Alert fatigue fell by 50%."


def test_a_repeated_citation_counts_once() -> None:
    assert parse_markers("It fell [1][1, 2][2].")[1] == (1, 2)


def test_an_absurd_range_keeps_only_its_endpoints() -> None:
    assert parse_markers("It fell [1-5000].")[1] == (1, 5000)


def test_bracketed_words_are_not_citations() -> None:
    clean, ids = parse_markers("See the [sic] note [2].")
    assert ids == (2,)
    assert "[sic]" in clean


@pytest.mark.parametrize(
    ("text", "clean", "ids"),
    [
        ("Drops fell by 5% [^1].", "Drops fell by 5%.", (1,)),
        ("Drops fell by 5%.[^1][^2]", "Drops fell by 5%.", (1, 2)),
        ("Drops fell by 5%【1】.", "Drops fell by 5%.", (1,)),
        ("Drops fell by 5%【3:0†source】.", "Drops fell by 5%.", (3,)),
        ("Drops fell by 5%<sup>2</sup>.", "Drops fell by 5%.", (2,)),
        ("Drops fell by 5%<sup>[1, 3]</sup>.", "Drops fell by 5%.", (1, 3)),
        ("Drops fell by 5% ([Portal post](https://b.example/p.html)).", "Drops fell by 5%.",
         ("https://b.example/p.html",)),
        ("Drops fell by 5% ([a](https://b.example/a), [b](https://b.example/b)).",
         "Drops fell by 5%.", ("https://b.example/a", "https://b.example/b")),
        ("As [the Portal post](https://b.example/p.html) says, drops fell.",
         "As the Portal post says, drops fell.", ("https://b.example/p.html",)),
        ("Drops fell by 5% [1](https://b.example/p.html).", "Drops fell by 5%.",
         ("https://b.example/p.html",)),
        ("Drops fell by 5% (https://b.example/p.html).", "Drops fell by 5%.",
         ("https://b.example/p.html",)),
        ("Drops fell by 5%, see https://b.example/p.html.", "Drops fell by 5%, see.",
         ("https://b.example/p.html",)),
        ("Drops fell <https://b.example/p.html> by 5%.", "Drops fell by 5%.",
         ("https://b.example/p.html",)),
    ],
)
def test_every_citation_form_real_systems_write_is_parsed(text: str, clean: str,
                                                           ids: tuple) -> None:
    assert parse_markers(text) == (clean, ids)


def test_footnote_definitions_are_not_claims_and_map_ids_to_urls_or_text() -> None:
    answer = (
        "Drops fell by 5% [^1]. The first step was a log review [^2].\n\n"
        "[^1]: https://b.example/portal.html\n"
        "[^2]: The first move was a manual review of about 400 dropped-call logs.\n"
        "[^3]: [Portal post](https://b.example/portal.html) \"Drops fell.\"\n"
    )
    claims = split_claims(answer)
    assert [c.kind for c in claims] == ["sentence", "sentence", "definition", "definition",
                                        "definition"]
    assert not any(c.is_claim for c in claims[2:])
    defs = footnote_definitions(answer)
    assert (defs[1].url, defs[1].text) == ("https://b.example/portal.html", None)
    assert defs[2].url is None and defs[2].text.startswith("The first move was")
    assert (defs[3].url, defs[3].text) == ("https://b.example/portal.html", "Drops fell.")


def test_a_numbered_source_list_defines_ids_and_claims_nothing() -> None:
    answer = ("Drops fell by 5% [1].\n\nSources:\n1. [Portal post](https://b.example/p.html)\n"
              "[2] https://b.example/q.html\n- Every alert got a runbook.")
    claims = split_claims(answer)
    assert [c.kind for c in claims] == ["sentence", "heading", "definition", "definition",
                                        "bullet"]
    assert footnote_definitions(answer)[2].url == "https://b.example/q.html"


def test_a_citation_after_the_period_on_its_own_joins_its_sentence() -> None:
    answer = "Drops fell by 5%. 【1】 Logs came first. ([Post](https://b.example/p.html))"
    assert claims_of(answer) == [
        ("sentence", "Drops fell by 5%.", (1,)),
        ("sentence", "Logs came first.", ("https://b.example/p.html",)),
    ]


def test_markers_after_the_final_period_stay_with_their_sentence() -> None:
    answer = "Alert fatigue fell by 50%. [1] Escalations got smoother.[2][3] Pages fell [4]."
    assert claims_of(answer) == [
        ("sentence", "Alert fatigue fell by 50%.", (1,)),
        ("sentence", "Escalations got smoother.", (2, 3)),
        ("sentence", "Pages fell.", (4,)),
    ]


def test_abbreviations_and_decimals_do_not_end_a_sentence() -> None:
    answer = "Teams use tools, e.g. Cachescope, to debug 2.5x faster [1]. It spread [2]."
    assert [c.citations for c in split_claims(answer)] == [(1,), (2,)]


@pytest.mark.parametrize(
    "heading", ["### Ownership", "**Ownership**", "Ownership", "**Key steps:**"]
)
def test_headings_are_not_claims(heading: str) -> None:
    claims = split_claims(f"{heading}\nThe engineer owned the outcome [1].")
    assert [c.kind for c in claims] == ["heading", "sentence"]
    assert claims[0].text == heading.strip("#* ").rstrip("*")
    assert not claims[0].is_claim


def test_bullets_are_claims_with_their_citations() -> None:
    claims = split_claims(
        "Steps:\n- Every alert got a runbook [2]\n* Noisy alerts were deleted [1]."
    )
    assert [(c.kind, c.text, c.citations) for c in claims] == [
        ("heading", "Steps:", ()),
        ("bullet", "Every alert got a runbook", (2,)),
        ("bullet", "Noisy alerts were deleted.", (1,)),
    ]


def test_a_one_word_or_colon_bullet_is_a_label_not_a_claim() -> None:
    assert [c.kind for c in split_claims("- Runbooks\n- On-call duty:\n- SLAs for response [1]")] \
        == ["heading", "heading", "bullet"]


@pytest.mark.parametrize(
    "bullet", ["- Deploys got 3x faster", "- Every team adopted SizeBot", "* Cut pages 90%"]
)
def test_terse_unpunctuated_bullets_are_claims(bullet: str) -> None:
    claims = split_claims(f"Alert fatigue fell by 50% [1].\n{bullet}")
    assert claims[1].kind == "bullet" and claims[1].is_claim and claims[1].citations == ()


def test_numbered_list_items_and_bold_leads_are_claims() -> None:
    claims = split_claims("1. **Ownership:** teams own their alerts [3].")
    assert (claims[0].kind, claims[0].text, claims[0].citations) == (
        "bullet",
        "Ownership: teams own their alerts.",
        (3,),
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "Here is what the sources say:",
        "In short:",
        "The sources do not say how long the rollout took.",
        "My sources don’t cover promotion timelines at Stripe.",
        "My sources don't cover how to get promoted to L5.",
        "What changed?",
        "Overall, yes.",
    ],
)
def test_connectives_and_meta_statements_need_no_citation(sentence: str) -> None:
    assert is_connective(sentence)
    assert not split_claims(f"Alert fatigue fell by 50% [1]. {sentence}")[1].is_claim


@pytest.mark.parametrize(
    "sentence",
    [
        "Escalations fell by 40%.",
        "Overall, escalations fell by 40%.",
        "In short, the overhaul halved alert fatigue.",
        "The articles say deploys did not slow down.",
        "The sources agree that mentoring is not sponsorship.",
        "The sources cite 50%.",
    ],
)
def test_an_uncited_factual_sentence_is_still_a_claim(sentence: str) -> None:
    claims = split_claims(f"Alert fatigue fell by 50% [1]. {sentence}")
    assert claims[1].is_claim and claims[1].citations == ()


def test_offsets_point_at_the_sentence_and_its_markers_in_the_answer() -> None:
    answer = "## Results\n\nAlert fatigue fell by 50% [1]. Escalations fell.[2]\n- A bullet [3]\n"
    for claim in split_claims(answer):
        raw = answer[claim.start : claim.end]
        assert claim.text.rstrip(".").split()[0] in raw
    assert [answer[c.start : c.end] for c in split_claims(answer)][1:] == [
        "Alert fatigue fell by 50% [1].",
        "Escalations fell.[2]",
        "A bullet [3]",
    ]


def test_sentence_spans_keep_quotes_exact() -> None:
    text = 'He said "no." Then left. Mr. Smith stayed at 3 a.m. on call.'
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        'He said "no."',
        "Then left.",
        "Mr. Smith stayed at 3 a.m. on call.",
    ]
