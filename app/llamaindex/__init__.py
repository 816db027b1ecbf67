"""careerqa's parts as llama-index components, so a llama-index pipeline can be checked in-process.

    from app.llamaindex import CitationCheckEvaluator, HybridNodeRetriever

    engine = CitationQueryEngine(retriever=HybridNodeRetriever(hybrid), llm=my_llm)
    response = engine.query("How did the Portal team reduce call drops?")
    result = CitationCheckEvaluator(checker).evaluate_response(response=response)
    result.score, result.passing, result.feedback

Needs llama-index-core (a dependency of careerqa).
"""

from app.llamaindex.evaluator import CitationCheckEvaluator
from app.llamaindex.retriever import HybridNodeRetriever

__all__ = ["CitationCheckEvaluator", "HybridNodeRetriever"]
