"""The labelled checker sets the support model is fitted on and scored on, each with its split.

- `wice`: WiCE dev claims with the raw web pages they cite (`../shared/benchmarks/wice/dev.jsonl`,
  read in place; absent on machines without the shared folder);
- `llm_style`: LLM-style answers over the sample and `../shared/corpora`, one case per sentence
  (`eval/datasets/llm_answers.jsonl`, when present);
- `extractive`: the sentence-level cases of `eval/datasets/checker.jsonl`;
- `extractive_tests`: `tests/data/checker_cases.jsonl`.

Every case's side is `split_of(case id)`: the model and its thresholds see only "dev".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.settings import PROJECT_ROOT
from eval.datasets import DEFAULT_CHECKER_SET, CheckerCase, load_checker_cases
from eval.splits import split_of

SHARED = PROJECT_ROOT.parent / "shared"
WICE = SHARED / "benchmarks" / "wice" / "dev.jsonl"
TEST_CASES = PROJECT_ROOT / "tests" / "data" / "checker_cases.jsonl"
LLM_ANSWERS = PROJECT_ROOT / "eval" / "datasets" / "llm_answers.jsonl"


@dataclass(frozen=True)
class CheckerSet:
    name: str
    cases: list[CheckerCase]

    def side(self, split: str) -> list[CheckerCase]:
        return [c for c in self.cases if split_of(_answer_id(c)) == split]


def _answer_id(case: CheckerCase) -> str:
    """LLM-style sentences split with their answer (so an answer is never on both sides)."""
    return str(case.extra.get("answer_id", case.id))


def load_sets(shared: Path = SHARED) -> list[CheckerSet]:
    """Every labelled set available here; those that need ../shared are skipped without it."""
    sets: list[CheckerSet] = []
    wice = shared / "benchmarks" / "wice" / "dev.jsonl"
    if wice.is_file():
        sets.append(CheckerSet("wice", load_checker_cases(wice)))
    llm = load_llm_cases(shared)
    if llm:
        sets.append(CheckerSet("llm_style", llm))
    sets.append(CheckerSet("extractive", load_checker_cases(DEFAULT_CHECKER_SET)))
    sets.append(CheckerSet("extractive_tests", load_checker_cases(TEST_CASES)))
    return sets


def load_llm_cases(shared: Path = SHARED) -> list[CheckerCase]:
    """The LLM-style set as one case per sentence (`extra["answer_id"]` names its answer)."""
    answers = load_llm_answers_if_present(shared)
    if not answers:
        return []
    from eval.llm_set import as_checker_cases

    return as_checker_cases(answers)


def load_llm_answers_if_present(shared: Path = SHARED) -> list:
    """The LLM-style answers, or [] when the set is not in this checkout."""
    if not LLM_ANSWERS.is_file():
        return []
    from eval.llm_set import load_llm_answers

    return load_llm_answers(LLM_ANSWERS, shared)
