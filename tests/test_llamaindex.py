"""A llama-index pipeline checked in-process: careerqa retrieves for it, the checker scores it."""

from __future__ import annotations

import pytest
from llama_index.core.base.response.schema import Response
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import CitationQueryEngine

from app.check.checker import CitationChecker
from app.llamaindex import CitationCheckEvaluator, HybridNodeRetriever
from app.retrieve import HybridRetriever

QUESTION = "How did the Portal team reduce video call drops?"
PORTAL = "case-studies/portal-video-calling-reliability.html"


@pytest.fixture(scope="module")
def retriever(sample_store, embedder, sample_settings) -> HybridNodeRetriever:
    return HybridNodeRetriever(HybridRetriever(sample_store, embedder, sample_settings), top_k=4)


@pytest.fixture(scope="module")
def evaluator(sample_settings, embedder) -> CitationCheckEvaluator:
    return CitationCheckEvaluator(CitationChecker.from_settings(sample_settings, embedder))


def test_the_hybrid_retriever_returns_llama_index_nodes_with_citation_metadata(retriever):
    nodes = retriever.retrieve(QUESTION)
    assert 1 <= len(nodes) <= 4
    assert nodes[0].node.metadata["url"].endswith(PORTAL)
    # careerqa's own order (fused, then diversified), not re-sorted by score.
    assert len({n.node.node_id for n in nodes}) == len(nodes)
    assert all(0 < n.score <= 1 for n in nodes)
    assert all(n.node.get_content() and n.node.metadata["title"] for n in nodes)


def test_a_citation_query_engine_answer_is_checked_against_its_source_nodes(retriever,
                                                                             evaluator):
    engine = CitationQueryEngine(retriever=retriever, llm=MockLLM())
    nodes = engine.query(QUESTION).source_nodes
    assert nodes and nodes[0].node.get_content().startswith("Source 1:")
    first = nodes[0].node.get_content().split("\n", 1)[1]
    sentence = next(s for s in first.split(". ") if len(s.split()) >= 8).rstrip(".") + "."
    faithful = f"{sentence[:-1]} [1]."
    result = evaluator.evaluate_response(query=QUESTION,
                                         response=Response(faithful, source_nodes=nodes))
    assert (result.score, result.passing) == (1.0, True)

    wrong = f"{faithful} Video call drops fell by 50% after one week [1]."
    result = evaluator.evaluate_response(query=QUESTION,
                                         response=Response(wrong, source_nodes=nodes))
    assert (result.score, result.passing) == (0.5, False)
    assert "sentence 2:" in result.feedback


def test_a_response_without_text_is_an_invalid_evaluation(evaluator):
    result = evaluator.evaluate(query=QUESTION, response=None, contexts=None)
    assert result.invalid_result and result.passing is None
