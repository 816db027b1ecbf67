"""Answer Markdown leaves the service without raw HTML, images or script links."""

from __future__ import annotations

import pytest

from app.markdown_safety import StreamSanitizer, safe_destination, sanitize_markdown


@pytest.mark.parametrize(("raw", "safe"), [
    ("### <img src=x onerror=alert(1)>Runbooks", "### Runbooks"),
    ("Use <b>care</b> [1].", "Use care [1]."),
    ("<<b>script>alert(1)<</b>/script>", "alert(1)"),
    ("<!-- hidden --> text", " text"),
    ("see <javascript:alert(1)>", "see "),
    ("[runbook](javascript:alert(1))", "runbook"),
    ("[runbook](JaVa&#x53;cript:alert(1))", "runbook"),
    ("[runbook](java\tscript:alert(1))", "runbook"),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", "x"),
    ("[x](<vbscript:msgbox>)", "x"),
    ("[x](/relative/path)", "x"),
    ("![pixel](https://tracker.example/p.gif)", "pixel"),
    ("[ref]: javascript:alert(1)\n[a][ref]", "\n[a][ref]"),
])
def test_unsafe_constructs_are_removed_keeping_their_text(raw, safe):
    assert sanitize_markdown(raw) == safe


@pytest.mark.parametrize("kept", [
    "Latency fell below 5 ms when p < 0.05 and a > b [2].",
    "[the guide](https://example.org/guide.html#:~:text=own%20outcomes) [1][3]",
    "[jump](#section-2) and <https://example.org/page>",
    "### Own outcomes\n- **Write** the doc [1].\n\n[^1]: [Title](https://example.org/a) — \"q\"",
])
def test_ordinary_answer_markdown_is_unchanged(kept):
    assert sanitize_markdown(kept) == kept


def test_only_http_https_and_fragments_are_safe_destinations():
    assert safe_destination("https://example.org/x") and safe_destination("#top")
    assert not safe_destination("https:///no-host") and not safe_destination("mailto:a@b.c")


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_streamed_pieces_are_sanitised_like_the_whole(size):
    raw = ("Here is what the sources say:\n\n### <img src=x onerror=alert(1)>Runbooks\n"
           "- Read the [runbook](javascript:alert(1)) first [1].\n"
           "- Then <b>page</b> the [owner](https://example.org/owners) [2].\n")
    stream = StreamSanitizer()
    pieces = [stream.feed(raw[i:i + size]) for i in range(0, len(raw), size)]
    out = "".join(pieces) + stream.flush()

    assert out == sanitize_markdown(raw)
    assert "<" not in "".join(pieces) and "javascript" not in out
