"""`careerqa bench`: ingest and query benchmarks, reported as medians and ratios."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.settings import Settings


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="benchmarks: ingest throughput, query latency",
        description="Benchmarks that report medians and ratios against a baseline run in "
        "the same process. They take minutes; they are not part of the tests.")
    sub = parser.add_subparsers(dest="bench", metavar="BENCH", required=True)
    p = sub.add_parser("ingest", help="pipeline vs raw model throughput; re-ingest speed-up")
    p.add_argument("--pages", type=_positive, default=2000, help="generated pages to ingest")
    p.add_argument("--out", type=Path, help="write the JSON result here")
    p.set_defaults(func=_ingest)
    p = sub.add_parser("query", help="/v1/ask latency at several corpus sizes vs a baseline")
    p.add_argument("--sizes", type=_sizes, default="1000,10000,50000",
                   help="chunk counts, comma-separated")
    p.add_argument("--questions", type=_positive, default=200, help="questions per size")
    p.add_argument("--reuse", action="store_true",
                   help="reuse the stores of an earlier run when their inputs are unchanged")
    p.add_argument("--out", type=Path, help="write the JSON result here")
    p.set_defaults(func=_query)
    p = sub.add_parser("check", help="citation check latency, cold and warm, vs raw embedding")
    from eval.bench_check import add_arguments

    add_arguments(p)
    p.set_defaults(func=_check)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _sizes(text: str) -> list[int]:
    sizes = [_positive(part.strip()) for part in text.split(",") if part.strip()]
    if not sizes:
        raise argparse.ArgumentTypeError("name at least one chunk count")
    return sizes


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench_ingest import run

    print(json.dumps(run(pages=args.pages, out=args.out), indent=2))
    return 0


def _query(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench_query import run

    print(json.dumps(run(sizes=args.sizes, questions=args.questions, out=args.out,
                         reuse=args.reuse), indent=2))
    return 0


def _check(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench_check import report

    report(args)
    return 0
