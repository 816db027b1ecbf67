"""The citation checker as a llama-index evaluator: every sentence against the nodes it cites.

llama-index's `BaseEvaluator.evaluate_response` hands an evaluator the response text and
its `source_nodes` contents in order, which is exactly the numbering `[n]` markers use in
answers from `CitationQueryEngine` ("Source 1:", "Source 2:", ...). So context i is source
i; the "Source N:" label the engine puts in front of each node's text is removed before
checking, as it is not part of the passage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from llama_index.core.evaluation import BaseEvaluator, EvaluationResult
from llama_index.core.prompts.mixin import PromptDictType

from app.check.checker import CitationChecker
from app.check.models import CheckReport, SourceText

_SOURCE_LABEL = re.compile(r"^\s*Source\s+\d+:\s*\n?")


class CitationCheckEvaluator(BaseEvaluator):
    """Scores a response by ALCE citation recall; it passes when the checker's report passes.

    `score` is the share of sentences their cited nodes support, `passing` the report's
    verdict (recall at least the checker's threshold and no citation of a missing node),
    and `feedback` lists what failed, one line per problem.
    """

    def __init__(self, checker: CitationChecker) -> None:
        self.checker = checker

    def _get_prompts(self) -> PromptDictType:
        return {}

    def _update_prompts(self, prompts_dict: PromptDictType) -> None:
        del prompts_dict  # no prompts: the checker is not an LLM call

    def report(self, response: str, contexts: Sequence[str]) -> CheckReport:
        """The checker's full report, for callers that want per-sentence verdicts."""
        sources = [SourceText(id=n, text=_SOURCE_LABEL.sub("", text, count=1))
                   for n, text in enumerate(contexts, start=1)]
        return self.checker.check(response, sources)

    async def aevaluate(
        self,
        query: str | None = None,
        response: str | None = None,
        contexts: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> EvaluationResult:
        del kwargs
        if response is None or contexts is None:
            return EvaluationResult(query=query, response=response, contexts=contexts,
                                    invalid_result=True,
                                    invalid_reason="a response and its contexts are needed")
        report = self.report(response, contexts)
        lines = [f"{report.n_claims} claims, recall {report.recall:.2f}, "
                 f"precision {report.precision:.2f}"]
        lines += [f"sentence {p.sentence_index + 1}: {p.reason}: {p.message}"
                  for p in report.problems]
        return EvaluationResult(query=query, response=response, contexts=list(contexts),
                                passing=report.passed, score=report.recall,
                                feedback="\n".join(lines))
