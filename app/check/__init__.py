"""Citation-accuracy checking: is every answer sentence supported by the sources it cites?

Typical use::

    checker = CitationChecker.from_settings(settings, embedder)
    report = checker.check(answer, [SourceText(id=1, text=chunk_text), ...])
    report.recall, report.precision, report.problems

`claims` splits the answer, a `Judge` (offline, NLI or LLM) decides support, and `checker`
aggregates ALCE citation recall and precision into a `CheckReport`.
"""

from app.check.checker import CitationChecker
from app.check.claims import Claim, parse_markers, split_claims
from app.check.judges import ChatModel, Judge, make_judge
from app.check.llm_judge import LLMJudge
from app.check.models import (
    CheckReport,
    CitationCheck,
    CitationId,
    Judgement,
    Problem,
    Reason,
    SentenceCheck,
    SourceText,
    SupportQuery,
    Verdict,
)
from app.check.nli import NLIJudge
from app.check.offline import OfflineJudge, Thresholds
from app.check.strip import strip_unsupported

__all__ = [
    "ChatModel",
    "CheckReport",
    "CitationCheck",
    "CitationChecker",
    "CitationId",
    "Claim",
    "Judge",
    "Judgement",
    "LLMJudge",
    "NLIJudge",
    "OfflineJudge",
    "Problem",
    "Reason",
    "SentenceCheck",
    "SourceText",
    "SupportQuery",
    "Thresholds",
    "Verdict",
    "make_judge",
    "parse_markers",
    "split_claims",
    "strip_unsupported",
]
