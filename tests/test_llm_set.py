"""The LLM-style answer set: its loader on small hand-made records, and the shipped file itself."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from eval.datasets import DatasetError
from eval.llm_set import (
    DEFAULT_LLM_SET,
    DEFAULT_SHARED,
    KINDS,
    SUPPORTED_KINDS,
    as_checker_cases,
    kind_counts,
    load_llm_answers,
    main,
)
from eval.splits import split_of

SAMPLE_SITE = Path(__file__).resolve().parents[1] / "ingest" / "sample_site"

FIRST_PARAGRAPH = "Answer a review request within one working day. A slow reply stalls the author."
GUIDE = (
    "# Reviewing changes\n\n"
    "Answer a review request within one working day. A slow reply stalls the author.\n\n"
    "Small changes are easier to review than large ones.\n"
)


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    folder = tmp_path / "shared"
    (folder / "corpora" / "guide").mkdir(parents=True)
    (folder / "corpora" / "guide" / "review.md").write_text(GUIDE, encoding="utf-8")
    return folder


def _passage(anchor: str) -> dict[str, Any]:
    start = GUIDE.index(anchor)
    return {"id": 1, "path": "corpora/guide/review.md", "start": start, "end": start + len(anchor)}


def _record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "la-t1",
        "question": "How fast should I review?",
        "sources": [
            _passage(FIRST_PARAGRAPH),
            {"id": 2, "sample": "articles/x.html", "text": "Small changes ship sooner."},
        ],
        "sentences": [
            {"text": "Reply to a review within a working day [1].", "supported": True,
             "kind": "paraphrase"},
            {"text": "Reply within an hour [1].", "supported": False, "kind": "number"},
            {"text": "Reviews are always optional.", "supported": False, "kind": "uncited"},
            {"text": "Small changes ship sooner [3].", "supported": False, "kind": "invalid_id"},
        ],
    }
    record.update(changes)
    return record


def _write(tmp_path: Path, *records: dict[str, Any]) -> Path:
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_shared_passages_are_read_by_offsets_and_sample_ones_inline(tmp_path, shared):
    [answer] = load_llm_answers(_write(tmp_path, _record()), shared)
    texts = {s.id: s.text for s in answer.source_texts()}
    assert texts[1] == FIRST_PARAGRAPH
    assert texts[2] == "Small changes ship sooner."
    assert [s.url for s in answer.source_texts()] == ["corpora/guide/review.md", "articles/x.html"]
    assert answer.citation_recall == pytest.approx(0.25)
    assert answer.split == split_of("la-t1")


def test_markdown_joins_prose_and_bullets_with_unlabelled_preamble(tmp_path, shared):
    prose = _record(preamble="Here is what the sources say:")
    bullets = _record(id="la-t2", format="bullets", closing="In short, review quickly.")
    first, second = load_llm_answers(_write(tmp_path, prose, bullets), shared)
    assert first.markdown().startswith(
        "Here is what the sources say: Reply to a review within a working day [1]. Reply within"
    )
    lines = second.markdown().splitlines()
    assert lines[0] == "- Reply to a review within a working day [1]."
    assert lines[3] == "- Small changes ship sooner [3]."
    assert lines[-1] == "In short, review quickly."
    assert len(second.sentences) == 4  # the closing line carries no label


def test_checker_cases_are_one_per_sentence_with_markers_parsed(tmp_path, shared):
    answers = load_llm_answers(_write(tmp_path, _record()), shared)
    cases = as_checker_cases(answers)
    assert [c.id for c in cases] == ["la-t1/s1", "la-t1/s2", "la-t1/s3", "la-t1/s4"]
    assert cases[0].sentence == "Reply to a review within a working day."
    assert [c.citations for c in cases] == [(1,), (1,), (), (3,)]
    assert [c.supported for c in cases] == [True, False, False, False]
    assert {c.extra["split"] for c in cases} == {split_of("la-t1")}
    assert [s.id for s in cases[0].sources] == [1, 2]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sources": [{"id": 1, "path": "corpora/guide/missing.md", "start": 0, "end": 5}]},
         "not found"),
        ({"sources": [{"id": 1, "path": "corpora/guide/review.md", "start": 10, "end": 99999}]},
         "out of range"),
        ({"sources": [{"id": 1, "path": "../../etc/passwd", "start": 0, "end": 5}]},
         "relative to the shared folder"),
        ({"sentences": [{"text": "A claim [1].", "supported": True, "kind": "lucky_guess"}]},
         "unknown kind 'lucky_guess'"),
        ({"sentences": [{"text": "A claim [1].", "supported": True, "kind": "number"}]},
         "'supported' must be False"),
        ({"sentences": [{"text": "A claim [7].", "supported": True, "kind": "paraphrase"}]},
         "marker 7 names no source"),
        ({"sentences": [{"text": "A claim [1].", "supported": False, "kind": "invalid_id"}]},
         "every cited id names a source"),
        ({"sentences": [{"text": "A claim.", "supported": True, "kind": "paraphrase"}]},
         "no citation marker"),
        ({"sources": [{"id": 1, "text": "no origin"}]}, "needs either"),
        ({"colour": "blue"}, "unknown field(s) colour"),
    ],
)
def test_bad_records_fail_naming_the_line(tmp_path, shared, change, message):
    path = _write(tmp_path, _record(id="la-ok"), _record(**change))
    with pytest.raises(DatasetError) as caught:
        load_llm_answers(path, shared)
    assert f"{path}:2:" in str(caught.value)
    assert message in str(caught.value)


def test_stats_command_counts_kinds_per_split_and_rejects_a_bad_file(tmp_path, shared, capsys):
    path = _write(tmp_path, _record())
    assert main(["--file", str(path), "--shared", str(shared), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    side = split_of("la-t1")
    assert counts[side]["paraphrase"] == counts["all"]["paraphrase"] == 1
    assert counts[side]["answers"] == 1
    assert sum(counts["dev" if side == "test" else "test"].values()) == 0
    assert main(["--file", str(tmp_path / "nope.jsonl"), "--shared", str(shared)]) == 2
    assert "no such file" in capsys.readouterr().err


# --- the shipped set


def _visible_text(page: Path) -> str:
    article = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find("article")
    assert article is not None, page
    return " ".join(article.get_text(" ").split())


@pytest.fixture(scope="module")
def shipped():
    if not (DEFAULT_SHARED / "corpora").is_dir():
        pytest.skip(f"{DEFAULT_SHARED}/corpora is absent: the set's passages cannot be resolved")
    return load_llm_answers(DEFAULT_LLM_SET, DEFAULT_SHARED)


def test_shipped_set_loads_with_legal_kinds_and_existing_ids(shipped):
    assert shipped, "the set is empty"
    for answer in shipped:
        ids = {s.id for s in answer.sources}
        assert 2 <= len(ids) <= 5, answer.id
        for sentence in answer.sentences:
            assert sentence.kind in KINDS
            assert sentence.supported is (sentence.kind in SUPPORTED_KINDS)
            if sentence.kind != "invalid_id":
                assert set(sentence.citations) <= ids, (answer.id, sentence.text)


def test_shipped_passages_resolve_to_markdown_files_and_our_own_sample_pages(shipped):
    for answer in shipped:
        for source in answer.sources:
            if source.shared:
                assert source.origin.startswith("corpora/")
                assert source.origin.endswith((".md", ".markdown")), source.origin
                assert (DEFAULT_SHARED / source.origin).is_file()
            else:
                # inline text must be our own page's visible article text, not a paraphrase of it
                page = _visible_text(SAMPLE_SITE / source.origin)
                for block in source.text.split("\n"):
                    assert " ".join(block.split()) in page, (answer.id, block[:60])
            assert 300 <= len(source.text) <= 1600, (answer.id, source.id, len(source.text))


def test_shipped_set_is_mostly_faithful_and_mostly_over_the_shared_corpora(shipped):
    counts = kind_counts(shipped)
    total = sum(counts["all"][k] for k in KINDS)
    faithful = sum(counts["all"][k] for k in SUPPORTED_KINDS)
    assert faithful >= total / 2
    shared_answers = [a for a in shipped if any(s.shared for s in a.sources)]
    assert len(shared_answers) >= len(shipped) / 2
    assert all(re.fullmatch(r"la-\d{3}", a.id) for a in shipped)


def test_shipped_set_holds_every_kind_on_both_sides_of_the_split(shipped):
    counts = kind_counts(shipped)
    for side in ("dev", "test"):
        missing = [k for k in KINDS if counts[side][k] == 0]
        assert not missing, f"{side} split lacks {missing}"
        assert counts[side]["answers"] >= 15, side


def _longest_shared_run(sentence: str, passage: str) -> int:
    """The longest run of consecutive words of `sentence` that also occurs in `passage`."""
    words = re.findall(r"[a-z0-9']+", sentence.lower())
    text = " ".join(re.findall(r"[a-z0-9']+", passage.lower()))
    best = 0
    for start in range(len(words)):
        end = start + best + 1
        while end <= len(words) and " ".join(words[start:end]) in text:
            best, end = end - start, end + 1
    return best


def test_shipped_sentences_do_not_copy_text_from_the_shared_corpora(shipped):
    # The shared passages are not ours: the set may restate their facts, never their wording.
    # Eight words is room for a name or a title ("the Kubernetes GitHub Admin team").
    for answer in shipped:
        passages = " ".join(s.text for s in answer.sources if s.shared)
        if not passages:
            continue
        for sentence in answer.sentences:
            run = _longest_shared_run(sentence.clean, passages)
            assert run <= 8, (answer.id, run, sentence.text)


def test_longest_shared_run_counts_consecutive_words():
    assert _longest_shared_run("Reply to a review within a day.", FIRST_PARAGRAPH) == 2
    assert _longest_shared_run("A slow reply stalls the author.", FIRST_PARAGRAPH) == 6
