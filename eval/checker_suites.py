"""Checker benchmarks as named suites: the shipped checker set, WiCE, and the LLM-style answers.

`careerqa eval --checker-set wice` reads `../shared/benchmarks/wice/dev.jsonl` (relative
to the repository root; any file in the checker-case format can be given by path), and
`--checker-set llm` the LLM-style answer set, one case per answer sentence. The named
benchmarks are scored on the `test` side of the shared split (`eval.splits.split_of`)
unless `--split dev|all` says otherwise: `dev` is where thresholds are tuned, so figures
reported on it would flatter the checker. A file given by path is scored whole by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eval.datasets import (
    DATASETS_DIR,
    DEFAULT_CHECKER_SET,
    CheckerCase,
    DatasetError,
    fast_checker_cases,
    load_checker_cases,
)
from eval.splits import split_of

Split = Literal["dev", "test", "all"]
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
WICE_PATH = SHARED_DIR / "benchmarks" / "wice" / "dev.jsonl"
LLM_ANSWERS_PATH = DATASETS_DIR / "llm_answers.jsonl"
SUITE_NAMES = ("wice", "llm")


@dataclass
class CheckerSuite:
    """The cases of one checker benchmark, on one side of the split."""

    name: str  # "checker set" (the shipped one or a file), "wice" or "llm"
    path: Path
    split: Split
    cases: list[CheckerCase]
    n_before_split: int
    answers: list[Any] | None = None  # the LLM-style answers, for answer-level validity

    @property
    def prefix(self) -> str:
        """Metric name prefix: none for the shipped set (the gate's names), else the suite's."""
        return "" if self.name == "checker set" else f"{self.name}."

    @property
    def label(self) -> str:
        split = "all cases" if self.split == "all" else f"{self.split} split"
        return f"gold labels of {self.title} ({split}, {len(self.cases)} cases)"

    @property
    def title(self) -> str:
        return {"wice": "WiCE", "llm": "the LLM-style answer set"}.get(
            self.name, f"the checker set {self.path.name}")


def suite_path(spec: str | Path) -> tuple[str, Path]:
    """(suite name, file) for `--checker-set` given a name or a path."""
    text = str(spec)
    if text == "wice":
        if not WICE_PATH.is_file():
            raise DatasetError(f"the WiCE benchmark is not at {WICE_PATH} "
                               "(expected ../shared/benchmarks/wice/dev.jsonl beside the repo)")
        return "wice", WICE_PATH
    if text == "llm":
        if not LLM_ANSWERS_PATH.is_file():
            raise DatasetError(f"the LLM-style answer set is not at {LLM_ANSWERS_PATH}")
        return "llm", LLM_ANSWERS_PATH
    path = Path(spec)
    return ("checker set", path)


def answer_of(case: CheckerCase) -> str:
    """The answer id an LLM-set sentence case belongs to (its `answer_id`, else its own id)."""
    return str(case.extra.get("answer_id", case.id))


def _split(cases: list[CheckerCase], split: Split, key: Any = None) -> list[CheckerCase]:
    if split == "all":
        return cases
    return [c for c in cases if split_of(key(c) if key else c.id) == split]


def load_suite(spec: str | Path = DEFAULT_CHECKER_SET, split: Split | None = None,
               fast: bool = False, limit: int | None = None) -> CheckerSuite:
    """Load a suite by name or path; `split` None means test for named suites, all for files.

    `limit` keeps the first N cases after the split (and their answers, for the LLM set).
    """
    if limit is not None and limit < 1:
        raise DatasetError("--cases must be at least 1")
    name, path = suite_path(spec)
    chosen: Split = split or ("test" if name in SUITE_NAMES else "all")
    answers = None
    if name == "llm":
        from eval.llm_set import as_checker_cases, load_llm_answers

        every = load_llm_answers(path, SHARED_DIR)
        answers = [a for a in every if chosen == "all" or split_of(a.id) == chosen]
        all_cases = as_checker_cases(every)
        cases = as_checker_cases(answers)
    else:
        all_cases = load_checker_cases(path)
        cases = _split(all_cases, chosen)
    if not cases:
        raise DatasetError(f"{path}: no cases on the {chosen} side of the split")
    if fast:
        cases = fast_checker_cases(cases)
    if limit is not None:
        cases = cases[:limit]
        if answers is not None:
            kept = {answer_of(c) for c in cases}
            answers = [a for a in answers if a.id in kept]
    return CheckerSuite(name, path, chosen, cases, len(all_cases), answers)
