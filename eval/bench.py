"""`careerqa bench`: ingest and query benchmarks, reported as medians and ratios."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.settings import Settings
from eval.datasets import DEFAULT_QUESTIONS


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="benchmarks: ingest throughput, query latency, warm-up",
        description="Benchmarks that report medians and ratios against a baseline run in "
        "the same process. They take minutes; they are not part of the tests.")
    sub = parser.add_subparsers(dest="bench", metavar="BENCH", required=True)
    p = sub.add_parser("ingest", help="pipeline vs raw model throughput; re-ingest speed-up")
    p.add_argument("--pages", type=_positive,
                   help="cap on generated pages (default: as many as the distinct text gives)")
    p.add_argument("--repeats", type=_positive, default=2, help="fresh-store ingests")
    p.add_argument("--sentence-stage", action="store_true",
                   help="also time an ingest with the worker's sentence-vector stage")
    p.add_argument("--out", type=Path, help="write the JSON result here")
    p.set_defaults(func=_ingest)
    p = sub.add_parser("embed", help="model throughput by backend, batch size and threads")
    p.add_argument("--chunks", type=_positive, default=500, help="real chunks to embed")
    p.add_argument("--rounds", type=_positive, default=2, help="interleaved rounds")
    p.add_argument("--backends", type=_backends, default="torch,onnx",
                   help="comma-separated: torch, onnx")
    p.add_argument("--batch-sizes", type=_sizes, default="8,16,32,64")
    p.add_argument("--threads", type=_sizes, default="1,2")
    p.add_argument("--out", type=Path, help="write the JSON result here")
    p.set_defaults(func=_embed)
    p = sub.add_parser("agreement", help="top-5 agreement of the torch and ONNX backends")
    p.add_argument("--questions", type=_positive, default=50, help="sample-set questions")
    p.add_argument("--corpus", choices=["sample", "shared"], default="sample",
                   help="store to search: the sample corpus or ../shared/corpora")
    p.add_argument("--out", type=Path, help="write the JSON result here")
    p.set_defaults(func=_agreement)
    p = sub.add_parser("query", help="/v1/ask latency at several corpus sizes vs a baseline")
    p.add_argument("--sizes", type=_sizes, default="1000,10000,50000",
                   help="chunk counts, comma-separated")
    p.add_argument("--questions", type=_positive, default=200, help="questions per size")
    p.add_argument("--reuse", action="store_true",
                   help="reuse the stores of an earlier run when their inputs are unchanged")
    p.add_argument("--cache", type=Path,
                   help="where stores and generated vectors are kept "
                   "(default: careerqa-bench-query in the temp dir)")
    p.add_argument("--out", type=Path, help="write the JSON result here")
    p.set_defaults(func=_query)
    p = sub.add_parser("keywords", help="bm25s vs the database keyword index: recall, MRR, "
                       "latency", description="Both keyword indexes over the store in "
                       "CAREERQA_DATA_DIR (index it first: `careerqa keywords build`).")
    p.add_argument("--questions", type=_existing_file, default=DEFAULT_QUESTIONS,
                   help="question set (JSONL with gold_urls)")
    p.add_argument("--rounds", type=_positive, default=2, help="timed passes over the set")
    p.add_argument("--out", type=Path, help="write the JSON result here")
    p.set_defaults(func=_keywords)
    p = sub.add_parser("scale", help="one replica's RSS and time to /readyz by corpus size, "
                       "bm25s vs the database keyword index",
                       description="Builds stores of the given sizes (generated chunks reuse "
                       "a few thousand real embeddings, perturbed), starts `careerqa serve` "
                       "on loopback for each size and keyword index, and fits a line to "
                       "project memory and start-up to 1M chunks.")
    p.add_argument("--sizes", type=_sizes, default="2000,10000",
                   help="chunk counts, comma-separated (the issue's: 10000,50000,200000)")
    p.add_argument("--kinds", type=_kinds, default="memory,database",
                   help="keyword indexes, comma-separated: memory, database")
    p.add_argument("--questions", type=_positive, default=30, help="/v1/ask questions per run")
    p.add_argument("--distinct-vectors", type=_positive, default=4096,
                   help="generated chunks embedded by the model; the rest reuse these")
    p.add_argument("--rebuild", action="store_true", help="rebuild stores of an earlier run")
    p.add_argument("--out", type=Path, help="write the JSON result here")
    p.set_defaults(func=_scale)
    p = sub.add_parser("warmup", help="sentence warm-up of a store of distinct sentences vs "
                       "the raw model; time to ready and memory")
    p.add_argument("--chunks", type=_positive, default=10_000, help="chunks in the store")
    p.add_argument("--raw-sample", type=_positive, default=1_000,
                   help="sentences the raw model embeds, before and after the warm-up")
    p.add_argument("--out", type=Path, help="write the JSON result here")
    p.set_defaults(func=_warmup)
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


def _existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return path


def _sizes(text: str) -> list[int]:
    sizes = [_positive(part.strip()) for part in text.split(",") if part.strip()]
    if not sizes:
        raise argparse.ArgumentTypeError("name at least one chunk count")
    return sizes


def _kinds(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [n for n in names if n not in ("memory", "database")]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"keyword indexes are memory and database, not {text!r}")
    return names


def _backends(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [n for n in names if n not in ("torch", "onnx")]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"backends are torch and onnx, not {text!r}")
    return names


def _embed(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench_embed import run

    print(json.dumps(run(chunks=args.chunks, rounds=args.rounds, backends=args.backends,
                         batch_sizes=tuple(args.batch_sizes), threads=tuple(args.threads),
                         out=args.out), indent=2))
    return 0


def _agreement(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench_agreement import run

    try:
        result = run(questions=args.questions, corpus=args.corpus, settings=settings,
                     out=args.out)
    except FileNotFoundError as exc:
        print(f"careerqa: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench_ingest import run

    print(json.dumps(run(pages=args.pages, repeats=args.repeats, settings=settings,
                         out=args.out, sentence_stage=args.sentence_stage), indent=2))
    return 0


def _query(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench_query import CACHE_ROOT, run

    print(json.dumps(run(sizes=args.sizes, questions=args.questions, out=args.out,
                         reuse=args.reuse, cache=args.cache or CACHE_ROOT), indent=2))
    return 0


def _warmup(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench_warmup import run

    print(json.dumps(run(chunks=args.chunks, raw_sample=args.raw_sample, settings=settings,
                         out=args.out), indent=2))
    return 0


def _keywords(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench_keywords import run

    result = run(args.questions, settings, rounds=args.rounds)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


def _scale(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench_scale import run

    print(json.dumps(run(sizes=args.sizes, kinds=args.kinds, questions=args.questions,
                         distinct_vectors=args.distinct_vectors, reuse=not args.rebuild,
                         out=args.out), indent=2))
    return 0


def _check(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench_check import report

    report(args)
    return 0
