"""A fact about a named company comes from a page that names it, in its text or its URL."""

from __future__ import annotations

from app.answer.direct import direct_answer
from app.question import analyse
from app.retrieve import Hit, unaddressed
from ingest.records import Chunk


def chunk(cid: str, text: str, url: str, title: str = "") -> Chunk:
    return Chunk(id=cid, text=text, url=url, title=title, heading_path=(), position=0,
                 start=0, end=len(text), doc_hash="h", fetched_at="2026-12-01T00:00:00Z")


PORTAL = chunk("p", "Video call drops on Portal fell by 5% across the fleet.",
               "https://example.org/portal-video-calls", "Portal video calling")
ROBINHOOD = chunk("r", "At Robinhood, a staff engineer paired juniors with seniors on call. "
                       "The L4s grew faster, and escalations dropped by 40%.",
                  "https://example.org/mentoring", "Mentoring and sponsorship")


def test_a_figure_from_a_page_that_never_names_the_company_does_not_answer() -> None:
    question = "By how much did escalations drop at Robinhood after the on-call training?"
    # The Portal page ranks first and its "call drops" match two of the question's words.
    found = direct_answer(analyse(question), [Hit(PORTAL, 1.0, 0.9, 1.0),
                                              Hit(ROBINHOOD, 0.8, 0.8, 0.5)])
    assert found is not None
    quoted = " ".join(unit.text for _, units in found.lines for unit in units)
    assert "escalations dropped by 40%" in quoted and "Portal" not in quoted


def test_without_a_page_naming_it_the_best_figure_still_answers() -> None:
    found = direct_answer(analyse("By how much did video call drops fall at Meta?"),
                          [Hit(PORTAL, 1.0, 0.9, 1.0)])
    assert found is not None and "5%" in found.lines[0][1][0].text


def test_a_handbook_page_named_only_in_its_url_addresses_the_company() -> None:
    review = chunk("a", "Expected time commitment is up to ~1.5 hours per (on-call) week.",
                   "https://github.com/artsy/README/blob/main/RFCs/on-call-incident-review.md",
                   "On-call incident review")
    asked = analyse("How much time does the Artsy on-call incident review take per week?")
    assert unaddressed(asked, [review]) == []
    elsewhere = chunk("b", review.text, "https://example.org/rfcs/incident-review.md")
    assert unaddressed(asked, [elsewhere]) == ["Artsy"]
