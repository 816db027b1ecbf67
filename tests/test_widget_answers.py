"""The widget's answer badge and source cards, in headless Chromium against the real service.

The relevance badge says when an answer is cited but does not answer the question;
source cards are one per article, with that article's quotes inside. The off-question
response is injected with page.route at the network boundary, as the other crafted
answers of tests/test_widget.py are; the source cards come from the real service.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import test_widget as widget
from tests.widget_support import (
    CHROMIUM,
    QUESTION,
    answer_stream,
    citation,
    fulfill_stream,
    sentence,
)

# The fixtures of the widget tests: the real service on a port, a host origin, Chromium.
service, host, browser, open_page = (widget.service, widget.host, widget.browser,
                                     widget.open_page)
ask, embed, wait_answers = widget.ask, widget.embed, widget.wait_answers

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


def _with_relevance(stream: str, relevance: dict) -> str:
    """The stream with `relevance` added to its `done` event."""
    head, done = stream.rsplit("event: done\ndata: ", 1)
    body = json.loads(done)
    body["relevance"] = relevance
    return head + "event: done\ndata: " + json.dumps(body) + "\n\n"


def test_cited_but_off_question_answer_gets_a_warning_badge(open_page, host, service):
    answer = "Reviewers look at every line [1]."
    stream = answer_stream(answer, [citation(1)], [sentence(answer, [1])])
    off = _with_relevance(stream, {"answers_question": False, "score": 0.1,
                                   "reason": "No quoted sentence gives the duration asked for."})
    page = open_page(embed(host, service.url, "/off-question"),
                     routes={"**/v1/ask/stream": fulfill_stream(off)})
    page.locator(".launcher").click()
    ask(page, QUESTION)
    wait_answers(page, 1)
    badge = page.locator(".check.warn")
    expect(badge).to_have_text("Cited, but may not answer the question")
    expect(page.locator(".check.ok")).to_have_count(0)
    badge.hover()
    expect(page.get_by_text("No quoted sentence gives the duration asked for.")).to_be_visible()


def test_on_question_answer_keeps_the_citations_checked_badge(open_page, host, service):
    answer = "Reviewers look at every line [1]."
    stream = answer_stream(answer, [citation(1)], [sentence(answer, [1])])
    on = _with_relevance(stream, {"answers_question": True, "score": 0.9, "reason": "ok"})
    page = open_page(embed(host, service.url, "/on-question"),
                     routes={"**/v1/ask/stream": fulfill_stream(on)})
    page.locator(".launcher").click()
    ask(page, QUESTION)
    wait_answers(page, 1)
    expect(page.locator(".check.ok")).to_have_text("Citations checked")


def test_one_source_card_per_article_with_its_quotes(open_page, host, service):
    """A real answer from the service: its cards are unique per article and each shows
    the quotes the answer took from it."""
    page = open_page(embed(host, service.url, "/cards"))
    page.locator(".launcher").click()
    ask(page, "What do great staff engineers do?")
    wait_answers(page, 1)
    cards = page.locator(".source")
    expect(cards.first).to_be_visible()
    titles = cards.locator(".source-title").all_inner_texts()
    hrefs = [cards.nth(i).locator(".source-title").get_attribute("href")
             for i in range(cards.count())]
    assert len(set(hrefs)) == len(hrefs) == len(titles)  # one card per article
    quotes = cards.first.locator(".source-quote").all_inner_texts()
    assert quotes and all(q.strip() for q in quotes)
    body = page.locator(".answer").inner_text()
    assert all(q.split()[0] in body for q in quotes)  # the quotes are the answer's points
