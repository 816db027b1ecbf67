"""`careerqa ask` in a terminal: the answer, a check line, numbered sources with quotes; --json."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.corpus_fixture import SAMPLE_BASE_URL

CAREERQA = Path(sys.executable).with_name("careerqa")
PORTAL = "How did the Portal team reduce video call drops?"
PORTAL_PAGE = SAMPLE_BASE_URL + "case-studies/portal-video-calling-reliability.html"
Completed = subprocess.CompletedProcess


@pytest.fixture(scope="module")
def outputs(sample_settings, tmp_path_factory) -> dict[str, Completed]:
    """Both output formats from one copy of the sample store, run side by side."""
    home = tmp_path_factory.mktemp("cli-ask")
    shutil.copytree(sample_settings.data_dir, home / "data")
    env = {**os.environ, "CAREERQA_DATA_DIR": str(home / "data")}
    running = {
        form: subprocess.Popen([str(CAREERQA), "ask", PORTAL, *flags], cwd=home, env=env,
                               text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for form, flags in {"text": [], "json": ["--json"]}.items()
    }
    done = {}
    for form, process in running.items():
        out, err = process.communicate(timeout=240)
        done[form] = Completed(process.args, process.returncode, out, err)
    return done


def test_ask_prints_the_answer_with_numbered_sources_and_quotes(outputs):
    result = outputs["text"]
    assert result.returncode == 0, result.stderr
    answer, _, sources = result.stdout.partition("\nSources:\n")
    assert answer.startswith("Here is what the sources say")
    assert "citation check: recall 1.00, precision 1.00 — passed" in answer
    markers = sorted({int(n) for n in re.findall(r"\[(\d+)\]", answer)})
    listed = [int(n) for n in re.findall(r"^\[(\d+)\] ", sources, re.MULTILINE)]
    assert listed == markers == list(range(1, len(listed) + 1))
    assert PORTAL_PAGE in sources
    quotes = re.findall(r'^    "(.+?)"$', sources, re.MULTILINE | re.DOTALL)
    assert len(quotes) == len(listed)


def test_ask_json_is_the_api_response(outputs):
    result = outputs["json"]
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["question"] == PORTAL and response["covered"]
    assert PORTAL_PAGE in {c["url"] for c in response["citations"]}
    assert [c["id"] for c in response["citations"]] == list(
        range(1, len(response["citations"]) + 1))
    assert response["citation_check"]["passed"]
    text_answer = outputs["text"].stdout.split("\n\ncitation check:")[0]
    assert response["answer"].strip() == text_answer.strip()
