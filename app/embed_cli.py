"""`careerqa embed`: prepare embedding backends (build the int8 ONNX export)."""

from __future__ import annotations

import argparse
import json
import sys

from app.cli_errors import EXIT_ERROR, EXIT_OK, CliError
from core.settings import Settings


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "embed", help="embedding backends: build the ONNX export",
        description="The ONNX backend (CAREERQA_EMBEDDING_BACKEND=onnx) runs an int8 export "
        "of the embedding model's own weights; it is built on first use, or ahead of time "
        "with `build-onnx`. Nothing is downloaded.")
    sub = parser.add_subparsers(dest="embed", metavar="ACTION", required=True)
    p = sub.add_parser("build-onnx", help="export and quantise the model (skipped when current)",
                       description="Builds into CAREERQA_ONNX_DIR (default ~/.cache/careerqa/...). "
                       "Run again: nothing happens unless the weights changed or --force.")
    p.add_argument("--force", action="store_true", help="rebuild even when up to date")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_build_onnx)


def cmd_build_onnx(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.onnx_build import OnnxBuildError, build

    try:
        result = build(settings.embedding_model, settings.onnx_model_dir, force=args.force)
    except OnnxBuildError as exc:
        if exc.reason in ("weights_missing", "dependency_missing"):  # the user can fix these
            raise CliError(str(exc)) from exc
        print(f"careerqa: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps({"directory": str(result.directory), "built": result.built,
                          "seconds": round(result.seconds, 1)}))
    elif result.built:
        print(f"built {result.directory} in {result.seconds:.0f} s")
    else:
        print(f"up to date: {result.directory}")
    return EXIT_OK

