"""After its opening sentence, an answer keeps to the pages that answer the question.

Every page of ../shared/corpora, read in place, ingested into a real Chroma store with
the real model and asked through the real service and checker. "Why does asking for
help make engineering teams stronger?" is answered by Artsy's posts on asking questions
and helping; Artsy's levels ladder shares the question's words ("engineering", "teams",
"mentoring") without bearing on it, and it used to fill a section of its own.
"""

from __future__ import annotations

import pytest

import app.answer.extractive as extractive
from app.check import CitationChecker
from app.models import AskRequest
from app.service import AskService
from core.settings import PROJECT_ROOT
from ingest.sources import LocalPath
from ingest.store import ChromaStore
from tests.conftest import ingested

CORPORA = PROJECT_ROOT.parent / "shared" / "corpora"
QUESTION = "Why does asking for help make engineering teams stronger?"
LADDER = "artsy-readme/careers/ladder.md"

pytestmark = pytest.mark.skipif(not CORPORA.is_dir(),
                                reason="../shared/corpora is not checked out here")


@pytest.fixture(scope="module")
def service(tmp_path_factory, embedder) -> AskService:
    folders = sorted(p for p in CORPORA.iterdir() if p.is_dir())
    settings = ingested(tmp_path_factory.mktemp("corpora") / "data", embedder,
                        [LocalPath(path=folder) for folder in folders])
    return AskService(settings, ChromaStore.from_settings(settings), embedder,
                      CitationChecker.from_settings(settings, embedder))


def _cited(service: AskService) -> tuple[str, list[str]]:
    response = service.ask(AskRequest(question=QUESTION))
    assert response.covered and response.citation_check["passed"]
    return response.answer, [c.url.split("/corpora/", 1)[-1] for c in response.citations]


def test_a_page_sharing_the_questions_words_adds_no_points(service):
    answer, pages = _cited(service)
    assert any("asking-for-help" in page for page in pages), answer
    assert LADDER not in pages, answer
    assert "sense of urgency" not in answer


def test_without_the_floor_the_ladder_would_add_points(service, monkeypatch):
    """The ladder is a real neighbour that retrieval reaches, not a page it never sees."""
    monkeypatch.setattr(extractive, "_OTHER_ARTICLE_RETRIEVAL", 0.0)
    answer, pages = _cited(service)
    assert LADDER in pages, answer
