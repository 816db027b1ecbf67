"""The per-source extraction report: figures per folder, before/after table, usage errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT
from eval.extraction_report import ARTIFACTS, main, run

PAGES = Path(__file__).parent / "pages"
CORPORA = PROJECT_ROOT.parent / "shared" / "corpora"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Two source folders made of our pattern pages, without a MANIFEST.tsv."""
    for source, names in {
        "handbook": ["handbook_liquid.md", "footnotes.md", "admonitions.md"],
        "site": ["competency_level.html", "mkdocs_material.html"],
    }.items():
        (tmp_path / source).mkdir()
        for name in names:
            shutil.copy(PAGES / name, tmp_path / source / name)
    return tmp_path


def test_report_counts_pages_chunks_and_kept_sentences_per_source(corpus: Path) -> None:
    reports = {r.source: r for r in run(corpus)}
    assert set(reports) == {"handbook", "site"}
    assert (reports["handbook"].pages, reports["site"].pages) == (3, 2)
    for report in reports.values():
        assert report.chunks >= report.pages
        assert report.share > 0.9
        assert report.artifacts == dict.fromkeys(ARTIFACTS, 0)
        assert report.url_titles == 0


def test_report_puts_a_saved_run_beside_this_one(corpus: Path, tmp_path: Path, capsys) -> None:
    saved = tmp_path / "before.json"
    assert main([str(corpus), "--json", str(saved)]) == 0
    rows = json.loads(saved.read_text())
    rows[0]["artifacts"]["template tag"] = 7
    saved.write_text(json.dumps(rows))
    capsys.readouterr()
    doc = tmp_path / "report.md"
    doc.write_text("intro\n<!-- report:begin -->\nold\n<!-- report:end -->\noutro\n")
    assert main([str(corpus), "--before", str(saved), "--write", str(doc)]) == 0
    table = doc.read_text()
    assert table.startswith("intro\n") and table.endswith("outro\n") and "old" not in table
    before = next(line for line in table.splitlines() if line.startswith("| handbook | before"))
    after = next(line for line in table.splitlines() if line.startswith("| handbook | after"))
    assert " 7 |" in before and " 7 |" not in after


def test_report_on_a_missing_folder_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert main([str(tmp_path / "absent")]) == 2
    assert "no such folder" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is not checked out here")
def test_development_corpus_has_no_markup_artifacts_and_no_url_titles() -> None:
    reports = run(CORPORA)
    assert sum(r.pages for r in reports) == 135
    assert {r.source: r.artifacts for r in reports if any(r.artifacts.values())} == {}
    assert [r.source for r in reports if r.url_titles] == []
