"""Retrieval over real code-review guides from ../shared/corpora, read in place.

A question whose words are in every chunk ("What do great code reviewers do?" over
guides that all say "code review") is ranked by meaning alone, and sections that only
list other reading ("Resources", "Further reading") give way to sections that say
something, unless the question asks for reading.
"""

from __future__ import annotations

import pytest

from app.reading_lists import asks_for_reading, is_reading_list, names_reading_list
from app.retrieve import HybridRetriever
from core.settings import PROJECT_ROOT
from ingest.sources import LocalPath
from ingest.store import ChromaStore
from tests.conftest import ingested

CORPORA = PROJECT_ROOT.parent / "shared" / "corpora"
# Four publishers' code-review guides: Google's reviewer and author guides, Microsoft's
# code-review section (whose overview ends in a "Resources" list), 18F's and thoughtbot's.
GUIDES = (
    "google-eng-practices/review",
    "microsoft-code-with-engineering-playbook/docs/code-reviews",
    "18f-engineering-best-practices/_pages/code-review.md",
    "thoughtbot-guides/code-review/README.md",
)
GREAT_REVIEWERS = "What do great code reviewers do?"

pytestmark = pytest.mark.skipif(not CORPORA.is_dir(),
                                reason="../shared/corpora is not checked out here")


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, embedder) -> HybridRetriever:
    """A real store of the guides (real pipeline, real Chroma, the real model)."""
    settings = ingested(tmp_path_factory.mktemp("guides") / "data", embedder,
                        [LocalPath(path=CORPORA / guide) for guide in GUIDES])
    return HybridRetriever(ChromaStore.from_settings(settings), embedder, settings)


def _page(url: str) -> str:
    return url.split("/corpora/", 1)[-1]


def test_a_question_whose_words_are_everywhere_reaches_the_reviewer_guides(retriever):
    # Six, not five: the reviewer guide ranks 4th to 6th from one ingest to the next. The
    # int8 vectors move slightly with their batch mates, and the pipeline's batches follow
    # the timing of extraction, so the guide and the playbook's overview (fused scores
    # 0.03 apart) can trade places.
    found = retriever.retrieve(GREAT_REVIEWERS, top_k=6)
    pages = [_page(h.chunk.url) for h in found.hits]
    assert found.broad
    # Microsoft's guide for reviewers and Google's "what to look for", not a link list.
    assert ("microsoft-code-with-engineering-playbook/docs/code-reviews/process-guidance/"
            "reviewer-guidance.md") in pages
    assert "google-eng-practices/review/reviewer/looking-for.md" in pages
    assert not [h.chunk.heading_path for h in found.hits if is_reading_list(h.chunk)]


def test_reading_lists_rank_below_the_sections_of_their_own_page(retriever):
    found = retriever.retrieve(GREAT_REVIEWERS, top_k=5)
    lists = [h for h in found.pool if is_reading_list(h.chunk)]
    assert lists  # the overview's "Resources" list is still a candidate ...
    for item in lists:  # ... below every ranked content chunk of its page
        siblings = [h.score for h in found.pool
                    if h.chunk.url == item.chunk.url and not is_reading_list(h.chunk)]
        assert siblings and item.score < min(siblings)


def test_a_question_asking_for_reading_gets_the_reading_lists(retriever):
    found = retriever.retrieve("What are good resources on code review?", top_k=5)
    headings = [h.chunk.heading_path[-1] for h in found.hits if is_reading_list(h.chunk)]
    assert "Resources" in headings


def test_reading_list_headings_are_whole_headings_about_other_reading():
    for heading in ("Resources", "Additional resources", "Further Reading", "See Also",
                    "References", "CNCF resources", "Performance management quick links",
                    " More  resources: "):
        assert names_reading_list(heading), heading
    for heading in ("Resources for community group leads", "References are important to us",
                    "Mentoring Programs and Resources",
                    "Resources at your fingertips", "Reading code", "Reviewer Guidance"):
        assert not names_reading_list(heading), heading


def test_questions_asking_where_to_read_are_told_apart():
    assert asks_for_reading("Where can I read more about on-call?")
    assert asks_for_reading("Any good books or talks on code review?")
    assert not asks_for_reading(GREAT_REVIEWERS)
    assert not asks_for_reading("How long should a one-on-one be?")

