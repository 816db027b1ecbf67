"""Near-duplicate detection on real article text."""

from __future__ import annotations

from core.settings import SAMPLE_SITE_DIR
from ingest import dedupe
from ingest.extract import extract
from ingest.records import Page


def text_of(path: str) -> str:
    page = Page(url="https://x.example/" + path, body=(SAMPLE_SITE_DIR / path).read_bytes())
    return extract(page).text


def test_syndicated_copy_is_a_near_duplicate_and_other_articles_are_not():
    original = dedupe.signature(text_of("articles/building-trust.html"))
    repost = dedupe.signature(text_of("syndicated/building-trust-repost.html"))
    other = dedupe.signature(text_of("articles/technical-depth.html"))
    assert dedupe.similarity(original, repost) >= dedupe.NEAR_DUPLICATE_THRESHOLD
    assert dedupe.similarity(original, other) < 0.2

    index = dedupe.SignatureIndex([("a/trust", original), ("a/depth", other)])
    assert index.nearest(repost, exclude="s/repost")[0] == "a/trust"
    assert index.nearest(other, exclude="a/depth") is None  # itself excluded, nothing else near


def test_signatures_are_stable_across_runs():
    text = text_of("articles/technical-depth.html")
    assert dedupe.signature(text) == dedupe.signature(text)
