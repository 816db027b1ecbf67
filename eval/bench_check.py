"""Time the offline citation checker on answers built from tests/data/checker_cases.jsonl.

Each answer has 8 sentences about one article (its cases' sentences, with their citations) and
cites the article's chunks, alongside the other retrieved chunks those cases came with (at most 8
sources). Three conditions are timed per answer:

- cold: a fresh checker and empty caches: sources are split, analysed and embedded as needed;
- warm: the sources were seen before (their features and sentence embeddings are cached), the
  answer's sentences are new — the common case for a service answering from a fixed corpus;
- repeat: the same answer checked again (everything cached).

Usage: python -m eval.bench_check [--rounds N] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

from app.check.checker import CitationChecker
from app.check.evidence import index_source
from app.check.features import analyse
from app.check.models import SourceText
from app.check.offline import OfflineJudge
from app.settings import Settings
from ingest.embed import SentenceTransformerEmbedder

CASES = Path(__file__).resolve().parent.parent / "tests" / "data" / "checker_cases.jsonl"
SENTENCES_PER_ANSWER = 8
MAX_SOURCES = 8


def build_answers(
    path: Path = CASES, *, faithful_only: bool = False
) -> list[tuple[str, list[SourceText]]]:
    """Group cases by article into 8-sentence answers (the first and the last 8 of each article)."""
    by_page: dict[str, list[dict]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if faithful_only and not case["supported"]:
            continue
        cited = next(s for s in case["sources"] if s["id"] == case["citations"][0])
        page = case.get("supported_by") and next(
            s for s in case["sources"] if s["id"] == case["supported_by"]
        )
        by_page[(page or cited)["url"]].append(case)
    answers = []
    for cases in by_page.values():
        for half in (cases[:SENTENCES_PER_ANSWER], cases[-SENTENCES_PER_ANSWER:]):
            answers.append(_answer(half))
    return answers


def _answer(cases: list[dict]) -> tuple[str, list[SourceText]]:
    texts: dict[str, int] = {}
    for case in cases:
        cited = [s for s in case["sources"] if s["id"] in case["citations"]]
        for source in cited + [s for s in case["sources"] if s not in cited]:
            if source["text"] not in texts and len(texts) < MAX_SOURCES:
                texts[source["text"]] = len(texts) + 1
    lines = []
    for case in cases:
        ids = {s["id"]: texts.get(s["text"]) for s in case["sources"]}
        markers = "".join(f"[{ids[c]}]" for c in case["citations"] if ids.get(c))
        lines.append(f"{case['sentence'].rstrip('.')} {markers}.".replace(" .", "."))
    sources = [SourceText(id=n, text=text) for text, n in texts.items()]
    return " ".join(lines), sources


def _clear_feature_caches() -> None:
    analyse.cache_clear()
    index_source.cache_clear()


def run(rounds: int = 3, *, faithful_only: bool = False) -> dict[str, dict[str, float]]:
    """Median and p95 wall-clock ms per answer, and median CPU ms (all threads of this process).

    CPU time is reported because wall time on a shared 2-core machine swings with other load;
    on an idle machine wall time is CPU time divided by the threads torch keeps busy.
    """
    embedder = SentenceTransformerEmbedder(Settings().embedding_model)
    answers = build_answers(faithful_only=faithful_only)
    for answer, sources in answers:  # warm up the model and torch's kernels, untimed
        CitationChecker(OfflineJudge(embedder)).check(answer, sources)
    wall: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)

    def timed(
        condition: str, checker: CitationChecker, answer: str, sources: list[SourceText]
    ) -> None:
        start, start_cpu = time.perf_counter(), time.process_time()
        checker.check(answer, sources)
        wall[condition].append((time.perf_counter() - start) * 1000)
        cpu[condition].append((time.process_time() - start_cpu) * 1000)

    for _ in range(rounds):
        for answer, sources in answers:
            _clear_feature_caches()
            timed("cold", CitationChecker(OfflineJudge(embedder)), answer, sources)
            # Sources seen before, sentences new: keep source features and embeddings only.
            judge = OfflineJudge(embedder)
            judge.prewarm(s.text for s in sources)
            analyse.cache_clear()
            checker = CitationChecker(judge)
            timed("warm", checker, answer, sources)
            timed("repeat", checker, answer, sources)
    return {
        name: {
            "median_ms": round(statistics.median(values), 2),
            "p95_ms": round(statistics.quantiles(values, n=20)[-1], 2),
            "cpu_median_ms": round(statistics.median(cpu[name]), 2),
            "answers": len(values),
        }
        for name, values in wall.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over all answers")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--faithful-only", action="store_true", help="only supported cases (a good answer)"
    )
    args = parser.parse_args()
    results = run(args.rounds, faithful_only=args.faithful_only)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'condition':<9} {'median ms':>10} {'p95 ms':>8} {'cpu ms':>8} {'answers':>8}")
    for name, row in results.items():
        print(
            f"{name:<9} {row['median_ms']:>10} {row['p95_ms']:>8} {row['cpu_median_ms']:>8} "
            f"{row['answers']:>8}"
        )


if __name__ == "__main__":
    main()
