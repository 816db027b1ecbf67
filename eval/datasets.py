"""The eval datasets: question cases and checker cases, read from and written to JSONL.

Records are validated on load so that a typo in a hand-written dataset fails with the
file, line and field at fault instead of a KeyError halfway through a three-minute run.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"
DEFAULT_QUESTIONS = DATASETS_DIR / "questions.jsonl"
DEFAULT_CHECKER_SET = DATASETS_DIR / "checker.jsonl"

# Kinds whose sentences the cited sources support; every other kind is a hard negative.
SUPPORTED_KINDS = frozenset({"faithful", "paraphrase"})


class DatasetError(ValueError):
    """A dataset file that cannot be used, with the place and reason for a person to fix."""


@dataclass(frozen=True)
class Turn:
    role: str
    content: str


@dataclass(frozen=True)
class QuestionCase:
    """A question with the pages that answer it and the points a good answer contains.

    `gold_urls` are paths relative to the site root ("case-studies/x.html"), matched as a
    URL suffix, so the dataset scores a corpus whatever host and mount point serve it.
    Each key point is a phrase, or "|"-separated alternatives, matched case-insensitively.
    """

    id: str
    question: str
    gold_urls: tuple[str, ...] = ()
    key_points: tuple[str, ...] = ()
    out_of_scope: bool = False
    history: tuple[Turn, ...] = ()

    @property
    def stratum(self) -> str:
        """The kind of question, used to keep the fast subset representative."""
        if self.out_of_scope:
            return "out_of_scope"
        if self.history:
            return "follow_up"
        if any(u.startswith("case-studies/") for u in self.gold_urls):
            return "case_study"
        return "trait"


@dataclass(frozen=True)
class CheckerSource:
    id: int | str
    text: str
    url: str | None = None


@dataclass(frozen=True)
class CheckerCase:
    """One sentence, the sources it cites, and whether those sources really support it."""

    id: str
    sentence: str
    sources: tuple[CheckerSource, ...]
    citations: tuple[int | str, ...]
    supported: bool
    kind: str
    change: str | None = None  # what the perturbation did, for a person reviewing a miss
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "sentence": self.sentence,
            "sources": [
                {k: v for k, v in asdict(s).items() if v is not None} for s in self.sources
            ],
            "citations": list(self.citations),
            "supported": self.supported,
            "kind": self.kind,
        }
        if self.change:
            out["change"] = self.change
        out.update(self.extra)
        return out


# --- reading


def read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; a bad line is a DatasetError."""
    if not path.exists():
        raise DatasetError(f"{path}: no such file")
    if path.is_dir():
        raise DatasetError(f"{path}: is a directory, expected a JSONL file")
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{number}: invalid JSON ({exc.msg})") from exc
        if not isinstance(value, dict):
            raise DatasetError(f"{path}:{number}: expected a JSON object per line")
        rows.append((number, value))
    if not rows:
        raise DatasetError(f"{path}: no records")
    return rows


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


class _Fields:
    """Typed access to one record's fields, raising DatasetError with file:line context."""

    def __init__(self, where: str, record: dict[str, Any]) -> None:
        self.where = where
        self.record = record

    def fail(self, message: str) -> DatasetError:
        return DatasetError(f"{self.where}: {message}")

    def str(self, name: str, *, required: bool = True) -> str | None:
        value = self.record.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"field {name!r} must be a non-empty string")
        return value

    def str_list(self, name: str) -> tuple[str, ...]:
        value = self.record.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"field {name!r} must be a list of non-empty strings")
        return tuple(value)

    def bool(self, name: str, default: bool | None = None) -> bool:
        value = self.record.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(f"field {name!r} must be true or false")
        return value


def _unique_ids(path: Path, ids: Sequence[str]) -> None:
    seen: set[str] = set()
    for case_id in ids:
        if case_id in seen:
            raise DatasetError(f"{path}: duplicate id {case_id!r}")
        seen.add(case_id)


def load_questions(path: Path) -> list[QuestionCase]:
    cases: list[QuestionCase] = []
    for number, record in read_jsonl(path):
        f = _Fields(f"{path}:{number}", record)
        history: list[Turn] = []
        raw_history = record.get("history", [])
        if not isinstance(raw_history, list):
            raise f.fail("field 'history' must be a list of {role, content}")
        for turn in raw_history:
            if (
                not isinstance(turn, dict)
                or turn.get("role") not in ("user", "assistant")
                or not isinstance(turn.get("content"), str)
            ):
                raise f.fail("each history turn needs role 'user'|'assistant' and a content string")
            history.append(Turn(turn["role"], turn["content"]))
        out_of_scope = f.bool("out_of_scope", False)
        gold = f.str_list("gold_urls")  # may be empty: then retrieval is not scored for it
        cases.append(
            QuestionCase(
                id=str(f.str("id")),
                question=str(f.str("question")),
                gold_urls=tuple(u.lstrip("/") for u in gold),
                key_points=f.str_list("key_points"),
                out_of_scope=out_of_scope,
                history=tuple(history),
            )
        )
    _unique_ids(path, [c.id for c in cases])
    return cases


def load_checker_cases(path: Path) -> list[CheckerCase]:
    cases: list[CheckerCase] = []
    known = {"id", "sentence", "sources", "citations", "supported", "kind", "change"}
    for number, record in read_jsonl(path):
        f = _Fields(f"{path}:{number}", record)
        raw_sources = record.get("sources")
        if not isinstance(raw_sources, list) or not raw_sources:
            raise f.fail("field 'sources' must be a non-empty list of {id, text}")
        sources: list[CheckerSource] = []
        for s in raw_sources:
            if (
                not isinstance(s, dict)
                or not isinstance(s.get("id"), int | str)
                or not isinstance(s.get("text"), str)
            ):
                raise f.fail("each source needs an id (int or string) and a text")
            sources.append(CheckerSource(s["id"], s["text"], s.get("url")))
        citations = record.get("citations")
        if not isinstance(citations, list) or not all(isinstance(c, int | str) for c in citations):
            raise f.fail("field 'citations' must be a list of source ids")
        cases.append(
            CheckerCase(
                id=str(f.str("id")),
                sentence=str(f.str("sentence")),
                sources=tuple(sources),
                citations=tuple(citations),
                supported=f.bool("supported"),
                kind=str(f.str("kind")),
                change=f.str("change", required=False),
                extra={k: v for k, v in record.items() if k not in known},
            )
        )
    _unique_ids(path, [c.id for c in cases])
    return cases


# --- the fast subset


def _stable_rank(case_id: str) -> str:
    """An order that does not depend on file order, so the subset survives re-sorting."""
    return hashlib.sha256(case_id.encode()).hexdigest()


def stratified_subset(
    cases: Sequence[T], size: int, key: Callable[[T], str], ident: Callable[[T], str]
) -> list[T]:
    """About `size` cases with every stratum represented in proportion, deterministically.

    Each stratum keeps at least one case, so a fast run still exercises every kind.
    The result keeps the input order.
    """
    if size >= len(cases):
        return list(cases)
    groups: dict[str, list[T]] = defaultdict(list)
    for case in cases:
        groups[key(case)].append(case)
    chosen: set[int] = set()
    for members in groups.values():
        quota = max(1, math.floor(size * len(members) / len(cases) + 0.5))
        for case in sorted(members, key=lambda c: _stable_rank(ident(c)))[:quota]:
            chosen.add(id(case))
    return [c for c in cases if id(c) in chosen]


def fast_questions(cases: Sequence[QuestionCase], size: int = 15) -> list[QuestionCase]:
    return stratified_subset(cases, size, key=lambda c: c.stratum, ident=lambda c: c.id)


def fast_checker_cases(cases: Sequence[CheckerCase], size: int = 120) -> list[CheckerCase]:
    return stratified_subset(cases, size, key=lambda c: c.kind, ident=lambda c: c.id)
