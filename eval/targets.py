"""What the eval scores: the service in-process, a deployment over HTTP, or a file of answers.

All three produce the same `AnswerRecord`s, so every metric is computed the same way for
careerqa and for any other RAG system. The in-process and HTTP targets share one code
path: FastAPI's TestClient is an httpx-compatible client, so `ServiceTarget` only ever
sees `client.post(...)`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from eval.datasets import DatasetError, QuestionCase, read_jsonl

CitationId = int | str


class TargetError(RuntimeError):
    """The target cannot be used at all (unreachable, refusing every request)."""


@dataclass(frozen=True)
class CitedSource:
    """One numbered citation of an answer, with whatever text came with it."""

    id: CitationId
    url: str
    quote: str | None = None
    text: str | None = None  # the cited passage, when the target says what it was
    chunk_id: str | None = None
    content_hash: str | None = None
    # An article cited for several quotes: the chunks of the others (careerqa numbers
    # sources per article, each quote listed under `quotes`).
    more_chunk_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetrievedSource:
    url: str
    text: str | None = None


@dataclass(frozen=True)
class GoldSentence:
    """A sentence of an answer with a person's label: do its citations support it?"""

    text: str
    supported: bool


@dataclass
class AnswerRecord:
    """An answer to one question case, normalised from whichever target produced it."""

    case_id: str
    answer: str = ""
    citations: list[CitedSource] = field(default_factory=list)
    retrieved: list[RetrievedSource] | None = None  # None: the target does not say
    covered: bool | None = None
    latency_ms: float | None = None
    error: str | None = None
    missing: bool = False  # an answers file without a line for this question
    gold_sentences: list[GoldSentence] | None = None  # labels shipped with the answer


class Poster(Protocol):
    """The part of httpx.Client (and of FastAPI's TestClient) the targets use."""

    def post(self, url: str, *, json: Any = None, headers: Any = None) -> Any: ...


RetrieveHook = Callable[[str, int], list[RetrievedSource]]


def _post_json(client: Poster, path: str, body: dict[str, Any], headers: dict[str, str],
               max_wait: float = 30.0) -> dict[str, Any]:
    """POST with a bounded wait on 429 (Retry-After), returning the JSON body or raising."""
    waited = 0.0
    while True:
        try:
            response = client.post(path, json=body, headers=headers)
        except Exception as exc:  # httpx transport errors have many types
            raise TargetError(f"POST {path} failed: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 429 and waited < max_wait:
            delay = min(float(response.headers.get("Retry-After", "1") or 1), max_wait - waited)
            time.sleep(max(delay, 0.1))
            waited += max(delay, 0.1)
            continue
        if response.status_code in (401, 403):
            raise TargetError(f"POST {path}: HTTP {response.status_code} (API key needed?)")
        if response.status_code == 404:
            raise TargetError(f"POST {path}: HTTP 404 (is this a careerqa service?)")
        if response.status_code >= 400:
            detail = response.text[:200].replace("\n", " ")
            raise RuntimeError(f"HTTP {response.status_code}: {detail}")
        return response.json()


class ServiceTarget:
    """A careerqa service behind an httpx-compatible client (in-process or remote).

    `retrieve` is an optional hook giving the ranked retrieved pages for a question; the
    in-process target has one, a remote deployment does not, and then retrieval is
    scored on the cited pages instead (labelled as such in the report).
    """

    def __init__(
        self,
        client: Poster,
        label: str,
        *,
        api_key: str | None = None,
        retrieve: RetrieveHook | None = None,
    ) -> None:
        self.client = client
        self.label = label
        self.headers = {"X-API-Key": api_key} if api_key else {}
        self.retrieve = retrieve

    def answer(self, case: QuestionCase, k: int) -> AnswerRecord:
        body = {
            "question": case.question,
            "history": [{"role": t.role, "content": t.content} for t in case.history],
            "top_k": k,
        }
        started = time.perf_counter()
        try:
            data = _post_json(self.client, "/v1/ask", body, self.headers)
        except RuntimeError as exc:
            if isinstance(exc, TargetError):
                raise
            return AnswerRecord(case.id, error=str(exc))
        latency = (time.perf_counter() - started) * 1000
        citations = [
            CitedSource(
                id=c["id"], url=c.get("url", ""), quote=c.get("quote"), text=c.get("text"),
                chunk_id=c.get("chunk_id"), content_hash=c.get("content_hash"),
                more_chunk_ids=tuple(dict.fromkeys(
                    q["chunk_id"] for q in c.get("quotes") or []
                    if q.get("chunk_id") and q["chunk_id"] != c.get("chunk_id"))),
            )
            for c in data.get("citations", [])
        ]
        retrieved = None
        if self.retrieve is not None:
            # A follow-up is searched in its standalone form; `question` is the visitor's.
            searched = data.get("standalone_question") or data.get("question") or case.question
            retrieved = self.retrieve(searched, k)
        elif isinstance(data.get("retrieved"), list):
            retrieved = [RetrievedSource(r["url"], r.get("text")) for r in data["retrieved"]]
        return AnswerRecord(
            case.id, answer=data.get("answer", ""), citations=citations, retrieved=retrieved,
            covered=data.get("covered"), latency_ms=latency,
        )

    def check(self, answer: str, sources: list[dict[str, Any]]) -> dict[str, Any]:
        return _post_json(self.client, "/v1/check", {"answer": answer, "sources": sources},
                          self.headers)


class AnswersFileTarget:
    """Answers another system already produced, one JSON object per question id.

    Line format: {id, answer, citations?: [{id, url?, quote?, text?}], retrieved?: [{url,
    text?}], covered?, latency_ms?, sentences?: [{text, supported}]}. A question the file
    has no line for is scored as missing (and counted in the error rate), so a partial file
    cannot quietly look better than a full one. Every field is type-checked on load: a
    wrong type or a repeated id is a DatasetError naming the line.
    """

    def __init__(self, path: Path) -> None:
        self.label = f"answers file {path}"
        self.records: dict[str, AnswerRecord] = {}
        lines: dict[str, int] = {}
        for number, row in read_jsonl(path):
            where = f"{path}:{number}"
            record = parse_answer_line(row, where)
            if record.case_id in lines:
                raise DatasetError(f"{where}: duplicate id {record.case_id!r} "
                                   f"(first on line {lines[record.case_id]})")
            lines[record.case_id] = number
            self.records[record.case_id] = record

    def answer(self, case: QuestionCase, k: int) -> AnswerRecord:
        del k  # the other system chose its own k
        record = self.records.get(case.id)
        if record is None:
            return AnswerRecord(case.id, error=MISSING_ANSWER, missing=True)
        return record


MISSING_ANSWER = "no answer in the answers file"


def _is_id(value: Any) -> bool:
    return isinstance(value, int | str) and not isinstance(value, bool) and str(value).strip() != ""


def _optional(obj: dict[str, Any], name: str, kinds: type | tuple[type, ...], where: str,
              what: str) -> Any:
    """obj[name] when it is absent/null or of `kinds` (true/false is not a number here)."""
    value = obj.get(name)
    if value is None:
        return None
    if (isinstance(value, bool) and kinds is not bool) or not isinstance(value, kinds):
        raise DatasetError(f"{where}: {what} must be {_KIND_NAMES.get(kinds, kinds)}, "
                           f"not {type(value).__name__}")
    return value


_KIND_NAMES: dict[Any, str] = {str: "a string", bool: "true or false",
                               (int, float): "a number", list: "a list"}


def parse_answer_line(row: dict[str, Any], where: str) -> AnswerRecord:
    """One line of an answers file as an AnswerRecord; a DatasetError names what is wrong."""
    if not isinstance(row.get("id"), str) or not row["id"].strip():
        raise DatasetError(f"{where}: 'id' must be a non-empty string (the question id)")
    if not isinstance(row.get("answer"), str):
        raise DatasetError(f"{where}: 'answer' must be a string")
    raw_citations = row.get("citations", [])
    if not isinstance(raw_citations, list):
        raise DatasetError(f"{where}: 'citations' must be a list")
    citations = []
    for n, c in enumerate(raw_citations, start=1):
        at = f"citation {n}"
        if not isinstance(c, dict) or not _is_id(c.get("id")):
            raise DatasetError(f"{where}: {at} needs an 'id' (a number or a string)")
        fields = {name: _optional(c, name, str, where, f"{at} '{name}'")
                  for name in ("url", "quote", "text", "chunk_id", "content_hash")}
        citations.append(CitedSource(c["id"], fields["url"] or "", fields["quote"],
                                     fields["text"], fields["chunk_id"], fields["content_hash"]))
    retrieved = None
    if "retrieved" in row:
        if not isinstance(row["retrieved"], list) or not all(
            isinstance(r, dict) and isinstance(r.get("url"), str)
            and isinstance(r.get("text", ""), str | None) for r in row["retrieved"]
        ):
            raise DatasetError(f"{where}: 'retrieved' must be a list of {{url, text?}} strings")
        retrieved = [RetrievedSource(r["url"], r.get("text")) for r in row["retrieved"]]
    covered = _optional(row, "covered", bool, where, "'covered'")
    latency = _optional(row, "latency_ms", (int, float), where, "'latency_ms'")
    gold = None
    if "sentences" in row:
        raw = row["sentences"]
        if not isinstance(raw, list) or not raw or not all(
            isinstance(g, dict) and isinstance(g.get("text"), str)
            and isinstance(g.get("supported"), bool) for g in raw
        ):
            raise DatasetError(f"{where}: 'sentences' must be a non-empty list of "
                               "{text, supported: true|false}")
        gold = [GoldSentence(g["text"], g["supported"]) for g in raw]
    return AnswerRecord(row["id"], answer=row["answer"], citations=citations,
                        retrieved=retrieved, covered=covered,
                        latency_ms=float(latency) if latency is not None else None,
                        gold_sentences=gold)


class AnswerTarget(Protocol):
    label: str

    def answer(self, case: QuestionCase, k: int) -> AnswerRecord: ...


class CheckerTarget(Protocol):
    def check(self, answer: str, sources: list[dict[str, Any]]) -> dict[str, Any]: ...


class LocalChecker:
    """The citation checker called directly: for runs that score an answers file."""

    def __init__(self, checker: Any) -> None:
        self.checker = checker

    def check(self, answer: str, sources: list[dict[str, Any]]) -> dict[str, Any]:
        from app.check.models import SourceText

        items = [SourceText(id=s["id"], text=s["text"], url=s.get("url")) for s in sources]
        return self.checker.check(answer, items).model_dump()
