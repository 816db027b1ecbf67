"""Answer Markdown made safe for any Markdown renderer before it leaves the service.

Answers quote ingested pages (and an LLM may copy from them), so a page's raw HTML or a
`javascript:` link would otherwise reach every client that renders the Markdown. Only the
structure answers use survives: text, headings, bullets, bold, `[n]` markers, and links to
http(s) URLs or `#fragments`. Raw HTML tags are removed (their text stays), other links
and all images become their text. The widget never rendered HTML; other clients now get
the same guarantee from the API.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

_SAFE_SCHEMES = frozenset({"http", "https"})

# An HTML tag, comment, declaration or a non-http(s) autolink (`<javascript:...>`): CommonMark
# reads all of them as raw HTML or as links, so none may pass. `a < b` is not a tag.
_RAW_HTML = re.compile(r"<(?!https?://[^\s<>]*>)[A-Za-z!/?][^<>]*>")
# [text](destination "title") and ![alt](src); destinations may be wrapped in <...>. Tabs
# and spaces are let into a destination: lenient renderers accept `java\tscript:`.
_INLINE_LINK = re.compile(
    r"(?P<image>!?)\[(?P<text>[^\[\]]*)\]\("
    r"\s*(?P<dest><[^<>\n]*>|[^()\n\"']*?(?:\([^()\n]*\)[^()\n\"']*?)*)"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*\)"
)
# A link reference definition `[label]: destination` (footnotes `[^n]:` are left alone).
_REFERENCE = re.compile(r"^ {0,3}\[(?!\^)[^\]]+\]:\s*(?P<dest>\S+).*$", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


def safe_destination(url: str) -> bool:
    """True for http(s) URLs and `#fragment` links, after decoding entities and controls.

    Browsers ignore tabs, newlines and entity-encoding inside a scheme (`jav&#x61;script:`),
    so the check looks at the URL the way a browser will.
    """
    plain = _CONTROL.sub("", html.unescape(url.strip("<>")))
    if plain.startswith("#"):
        return True
    try:
        parts = urlsplit(plain)
    except ValueError:
        return False
    return parts.scheme.lower() in _SAFE_SCHEMES and bool(parts.netloc)


def _link(match: re.Match[str]) -> str:
    if match["image"]:
        return match["text"]  # a remote image would load on render and tell its host who read it
    if safe_destination(match["dest"]):
        return match[0]
    return match["text"]


def _reference(match: re.Match[str]) -> str:
    return match[0] if safe_destination(match["dest"]) else ""


def sanitize_markdown(text: str) -> str:
    """`text` without raw HTML, images, or links other than http(s) and fragments."""
    previous = None
    # Removing one construct can join the pieces of another ("<<b>script>"): repeat until
    # nothing changes.
    while previous != text:
        previous = text
        text = _RAW_HTML.sub("", text)
        text = _INLINE_LINK.sub(_link, text)
        text = _REFERENCE.sub(_reference, text)
    return text


class StreamSanitizer:
    """Sanitises Markdown that arrives in pieces (LLM deltas) without splitting a construct.

    Text is held back from the last `<` or `[` that might still open a tag or a link, and
    released, sanitised, once the construct is complete or the line ends.
    """

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, delta: str) -> str:
        """The part of what arrived so far that is safe to send now."""
        self._pending += delta
        cut = _open_construct(self._pending)
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return sanitize_markdown(ready)

    def flush(self) -> str:
        """Everything still held back, sanitised: call once the stream ends."""
        ready, self._pending = self._pending, ""
        return sanitize_markdown(ready)


def _open_construct(text: str) -> int:
    """Where an unfinished tag or link starts on the last line of `text`, else its end."""
    line_start = text.rfind("\n") + 1
    tail = text[line_start:]
    starts = [i for i in (tail.rfind("<"), tail.rfind("[")) if i >= 0]
    for start in sorted(starts):
        rest = tail[start:]
        closed = ">" in rest if rest.startswith("<") else _link_complete(rest)
        if not closed:
            return line_start + start
    return len(text)


def _link_complete(rest: str) -> bool:
    """Whether `[...` has ended: as a marker or bracketed text, or as a full link."""
    close = rest.find("]")
    if close < 0:
        return False
    after = rest[close + 1 :]
    if after.startswith("("):
        depth = 0
        for ch in after:  # a destination may hold parentheses: `alert(1)` is not its end
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth == 0:
                return True
        return False
    return after != ""  # "[1]" then more text; "[text]" at the very end may become a link
