"""Write one side (dev or test, see eval.splits) of a question set, for `careerqa eval --questions`.

Question ids decide the side, as for every labelled set: tune on the dev file, report on
the test file. Usage: `python -m eval.question_splits IN.jsonl dev|test OUT.jsonl`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from eval.datasets import DatasetError, read_jsonl, write_jsonl
from eval.splits import split_of


def write_side(source: Path, side: str, target: Path) -> int:
    """Copy the records of `source` whose id falls on `side` to `target`; how many."""
    rows = read_jsonl(source)
    for line, record in rows:
        if "id" not in record:
            raise DatasetError(f"{source}:{line}: record without an id")
    return write_jsonl(target, (r for _, r in rows if split_of(str(r["id"])) == side))


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("dev", "test"):
        print("usage: python -m eval.question_splits IN.jsonl dev|test OUT.jsonl", file=sys.stderr)
        return 2
    try:
        count = write_side(Path(argv[0]), argv[1], Path(argv[2]))
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{count} questions -> {argv[2]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
