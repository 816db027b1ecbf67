"""The LLM-style answer set: hand-written, sentence-labelled answers in the style of chat systems.

Each record is one answer to a career question, the numbered source passages it was given and,
for every sentence, whether those sources really support it and how it goes right or wrong
(`kind`). Passages from `../shared/corpora` are stored as a path and character offsets and read
in place, because that text is not ours; passages from our own sample site carry their text.

Record format (one JSON object per line of `datasets/llm_answers.jsonl`):

    {"id": "la-001", "question": "...",
     "sources": [{"id": 1, "path": "corpora/x/y.md", "start": 120, "end": 980},
                 {"id": 2, "sample": "articles/z.html", "text": "..."}],
     "sentences": [{"text": "A claim [1].", "supported": true, "kind": "paraphrase"}, ...],
     "format": "prose" | "bullets",   # optional, default "prose"
     "preamble": "...", "closing": "...",   # optional unlabelled connective text
     "note": "..."}                           # optional, for a person reviewing labels

`path` is relative to the shared folder; `start`/`end` are Python string indices into the file
read as UTF-8. `preamble` and `closing` are part of the answer's Markdown but carry no label and
no facts ("Here is what the sources say:"), so they are never scored.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from app.check.claims import parse_markers
from app.check.models import CitationId, SourceText
from eval.datasets import DATASETS_DIR, CheckerCase, CheckerSource, DatasetError, read_jsonl
from eval.splits import Split, split_of

DEFAULT_LLM_SET = DATASETS_DIR / "llm_answers.jsonl"
# The shared folder sits beside the repository, as `../shared` from the repo root.
DEFAULT_SHARED = Path(__file__).resolve().parents[1].parent / "shared"

SUPPORTED_KINDS = ("verbatim", "paraphrase", "synthesis")
UNSUPPORTED_KINDS = (
    "number",
    "negation",
    "entity",
    "wrong_source",
    "extra_clause",
    "unsupported_inference",
    "fabricated",
    "uncited",
    "invalid_id",
)
KINDS = SUPPORTED_KINDS + UNSUPPORTED_KINDS

AnswerFormat = Literal["prose", "bullets"]
_FORMATS = ("prose", "bullets")
_KNOWN_FIELDS = {"id", "question", "sources", "sentences", "format", "preamble", "closing", "note"}


@dataclass(frozen=True)
class AnswerSource:
    """One numbered passage the answer was given, with its text resolved."""

    id: int
    text: str
    origin: str  # `path` under the shared folder, or the sample page under ingest/sample_site
    start: int | None = None
    end: int | None = None

    @property
    def shared(self) -> bool:
        """True when the passage is read from the shared folder by offsets."""
        return self.start is not None


@dataclass(frozen=True)
class AnswerSentence:
    """One labelled sentence of an answer, markers included as the answer wrote them."""

    text: str
    supported: bool
    kind: str

    @property
    def citations(self) -> tuple[CitationId, ...]:
        return parse_markers(self.text)[1]

    @property
    def clean(self) -> str:
        """The sentence without its citation markers."""
        return parse_markers(self.text)[0]


@dataclass(frozen=True)
class LLMAnswer:
    id: str
    question: str
    sources: tuple[AnswerSource, ...]
    sentences: tuple[AnswerSentence, ...]
    format: AnswerFormat = "prose"
    preamble: str | None = None
    closing: str | None = None
    note: str | None = None

    @property
    def split(self) -> Split:
        """The answer's side; all its sentences go with it, so no answer straddles the line."""
        return split_of(self.id)

    @property
    def citation_recall(self) -> float:
        """The true citation recall: the share of the answer's sentences its sources support."""
        return sum(s.supported for s in self.sentences) / len(self.sentences)

    def markdown(self) -> str:
        """The answer as a system would have returned it."""
        if self.format == "bullets":
            parts = [self.preamble] if self.preamble else []
            parts.append("\n".join(f"- {s.text}" for s in self.sentences))
            if self.closing:
                parts.append(self.closing)
            return "\n\n".join(parts)
        texts = [s.text for s in self.sentences]
        return " ".join([t for t in (self.preamble, *texts, self.closing) if t])

    def source_texts(self) -> list[SourceText]:
        return [SourceText(id=s.id, text=s.text, url=s.origin) for s in self.sources]


# --- loading


class _Record:
    """One raw record with its place in the file, raising DatasetError that names the line."""

    def __init__(self, where: str, raw: dict[str, Any]) -> None:
        self.where = where
        self.raw = raw

    def fail(self, message: str) -> DatasetError:
        return DatasetError(f"{self.where}: {message}")

    def text(self, raw: dict[str, Any], name: str, *, required: bool = True) -> str | None:
        value = raw.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"field {name!r} must be a non-empty string")
        return value


def _shared_file(rec: _Record, shared: Path, path: str) -> Path:
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts:
        raise rec.fail(f"source path {path!r} must be relative to the shared folder")
    file = shared / relative
    if not file.is_file():
        raise rec.fail(f"source file {path!r} not found under {shared}")
    return file


def _source(rec: _Record, raw: Any, shared: Path, cache: dict[Path, str]) -> AnswerSource:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), int) or raw["id"] < 1:
        raise rec.fail("each source needs an integer id >= 1")
    sid = raw["id"]
    if "path" in raw:
        path = str(rec.text(raw, "path"))
        start, end = raw.get("start"), raw.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            raise rec.fail(f"source {sid}: 'start' and 'end' must be integers")
        file = _shared_file(rec, shared, path)
        if file not in cache:
            try:
                cache[file] = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise rec.fail(f"source {sid}: cannot read {path!r} ({exc})") from exc
        whole = cache[file]
        if not 0 <= start < end <= len(whole):
            raise rec.fail(
                f"source {sid}: offsets {start}-{end} out of range for {path!r} "
                f"({len(whole)} characters)"
            )
        return AnswerSource(sid, whole[start:end], path, start, end)
    if "sample" in raw:
        return AnswerSource(sid, str(rec.text(raw, "text")), str(rec.text(raw, "sample")))
    raise rec.fail(f"source {sid}: needs either 'path' + 'start'/'end' or 'sample' + 'text'")


def _check_markers(rec: _Record, number: int, sentence: AnswerSentence, ids: set[int]) -> None:
    cited = sentence.citations
    unknown = [c for c in cited if c not in ids]
    where = f"sentence {number}"
    if sentence.kind == "invalid_id":
        if not unknown:
            raise rec.fail(f"{where}: kind 'invalid_id' but every cited id names a source")
        return
    if unknown:
        raise rec.fail(f"{where}: marker {unknown[0]!r} names no source (sources: {sorted(ids)})")
    if sentence.kind == "uncited" and cited:
        raise rec.fail(f"{where}: kind 'uncited' but the sentence carries markers")
    if sentence.kind != "uncited" and not cited:
        raise rec.fail(f"{where}: no citation marker; label it 'uncited' or add one")


def _sentence(rec: _Record, number: int, raw: Any, ids: set[int]) -> AnswerSentence:
    if not isinstance(raw, dict):
        raise rec.fail(f"sentence {number}: expected an object with text, supported, kind")
    text = str(rec.text(raw, "text"))
    kind = raw.get("kind")
    if kind not in KINDS:
        raise rec.fail(f"sentence {number}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
    supported = raw.get("supported")
    if supported is not (kind in SUPPORTED_KINDS):
        raise rec.fail(
            f"sentence {number}: 'supported' must be {kind in SUPPORTED_KINDS} for kind {kind!r}"
        )
    sentence = AnswerSentence(text, supported, kind)
    _check_markers(rec, number, sentence, ids)
    return sentence


def _answer(rec: _Record, shared: Path, cache: dict[Path, str]) -> LLMAnswer:
    raw = rec.raw
    extra = set(raw) - _KNOWN_FIELDS
    if extra:
        raise rec.fail(f"unknown field(s) {', '.join(sorted(extra))}")
    raw_sources, raw_sentences = raw.get("sources"), raw.get("sentences")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise rec.fail("field 'sources' must be a non-empty list")
    if not isinstance(raw_sentences, list) or not raw_sentences:
        raise rec.fail("field 'sentences' must be a non-empty list")
    sources = tuple(_source(rec, s, shared, cache) for s in raw_sources)
    ids = [s.id for s in sources]
    if len(set(ids)) != len(ids):
        raise rec.fail(f"duplicate source ids {ids}")
    sentences = tuple(
        _sentence(rec, n, s, set(ids)) for n, s in enumerate(raw_sentences, start=1)
    )
    answer_format = raw.get("format", "prose")
    if answer_format not in _FORMATS:
        raise rec.fail(f"field 'format' must be one of {', '.join(_FORMATS)}")
    return LLMAnswer(
        id=str(rec.text(raw, "id")),
        question=str(rec.text(raw, "question")),
        sources=sources,
        sentences=sentences,
        format=answer_format,
        preamble=rec.text(raw, "preamble", required=False),
        closing=rec.text(raw, "closing", required=False),
        note=rec.text(raw, "note", required=False),
    )


def load_llm_answers(path: Path, shared: Path) -> list[LLMAnswer]:
    """Read and validate the set, resolving every `path` source against the `shared` folder.

    A bad record, a missing file, offsets out of range, an unknown kind or a marker naming no
    source (outside an `invalid_id` sentence) raises DatasetError naming file and line.
    """
    cache: dict[Path, str] = {}
    answers: list[LLMAnswer] = []
    seen: set[str] = set()
    for number, raw in read_jsonl(path):
        rec = _Record(f"{path}:{number}", raw)
        answer = _answer(rec, shared, cache)
        if answer.id in seen:
            raise rec.fail(f"duplicate id {answer.id!r}")
        seen.add(answer.id)
        answers.append(answer)
    return answers


# --- use


def as_checker_cases(answers: Iterable[LLMAnswer]) -> list[CheckerCase]:
    """One checker case per labelled sentence, so the checker-set scoring runs on the answers.

    Every case carries all the answer's sources (the uncited ones are the distractors a real
    answer has). `extra` holds `answer_id` and `split`: split by answer, never by case id, or
    the sentences of one answer would land on both sides.
    """
    cases: list[CheckerCase] = []
    for answer in answers:
        sources = tuple(CheckerSource(s.id, s.text, s.origin) for s in answer.sources)
        for number, sentence in enumerate(answer.sentences, start=1):
            cases.append(
                CheckerCase(
                    id=f"{answer.id}/s{number}",
                    sentence=sentence.clean,
                    sources=sources,
                    citations=sentence.citations,
                    supported=sentence.supported,
                    kind=sentence.kind,
                    extra={"answer_id": answer.id, "split": answer.split},
                )
            )
    return cases


def kind_counts(answers: Sequence[LLMAnswer]) -> dict[str, dict[str, int]]:
    """Sentences per kind for each split and in all ("all"), plus answers per side (`answers`)."""
    table: dict[str, Counter[str]] = {"dev": Counter(), "test": Counter(), "all": Counter()}
    for answer in answers:
        for side in (answer.split, "all"):
            table[side]["answers"] += 1
            for sentence in answer.sentences:
                table[side][sentence.kind] += 1
    return {side: {k: counts[k] for k in ("answers", *KINDS)} for side, counts in table.items()}


def _print_table(counts: dict[str, dict[str, int]]) -> None:
    sides = list(counts)
    print(f"{'kind':<24}" + "".join(f"{s:>8}" for s in sides))
    for kind in counts["all"]:
        print(f"{kind:<24}" + "".join(f"{counts[s][kind]:>8}" for s in sides))
    for label, group in (("supported", SUPPORTED_KINDS), ("unsupported", UNSUPPORTED_KINDS)):
        row = "".join(f"{sum(counts[s][k] for k in group):>8}" for s in sides)
        print(f"{label + ' sentences':<24}{row}")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m eval.llm_set`: validate the set and print sentences per kind and split."""
    parser = argparse.ArgumentParser(prog="python -m eval.llm_set", description=main.__doc__)
    parser.add_argument("--file", type=Path, default=DEFAULT_LLM_SET)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                        help="the shared folder holding corpora/ (default: ../shared)")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args(argv)
    try:
        answers = load_llm_answers(args.file, args.shared)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    counts = kind_counts(answers)
    if args.json:
        print(json.dumps(counts, indent=2))
    else:
        _print_table(counts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
