"""Turn an answer into claims: sentences with the citation markers they carry.

Markdown structure matters: headings and labels are not claims, a bullet is. Uncited sentences are
claims too (they fail as `no_citation`) unless they are short connectives such as
"Here is what the sources say:".

Citations come in the forms real systems write: `[1]`, `[1, 2]`, `[1-3]`, `[^1]` (with a
footnote definition line `[^1]: https://...` that maps the id to a URL or a passage), `【1】`,
`<sup>1</sup>`, and links: a Markdown link `[title](url)` or a bare URL cites that URL, so its id
is the URL itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from app.check.models import CitationId
from app.check.sentences import sentence_spans

ClaimKind = Literal["sentence", "bullet", "heading", "connective", "definition"]

# A range wider than this is a typo or an attack, not a citation: keep just its endpoints.
MAX_RANGE = 50

_ID = r"(?:(?:source|src|doc|ref)\s*)?(?:\d+|[A-Za-z][\w.:-]*\d[\w.:-]*)"
_ITEM = rf"{_ID}(?:\s*[-–—]\s*{_ID})?"
MARKER = re.compile(rf"\[\^?\s*({_ITEM}(?:\s*[,;]\s*{_ITEM})*)\s*\](?!\()", re.IGNORECASE)
_PREFIX = re.compile(r"^(?:source|src|doc|ref)\s+(?=\d)", re.IGNORECASE)
_RANGE = re.compile(r"^(\d+)\s*[-–—]\s*(\d+)$")

# 【3】 and OpenAI's file-search form 【3:0†source】: the leading number is the source.
_LENTICULAR = re.compile(r"【\s*(\d+)[^】\n]{0,40}】")
_SUPERSCRIPT = re.compile(r"<sup>\s*\[?\s*(\d+(?:\s*[-–—,;]\s*\d+)*)\s*\]?\s*</sup>", re.I)
_URL_BODY = r"https?://[^\s<>()\[\]]+(?:\([^\s<>()]*\)[^\s<>()\[\]]*)*"
_LINK = re.compile(rf"\[([^\[\]\n]*)\]\(\s*<?({_URL_BODY})>?(?:\s+\"[^\"\n]*\")?\s*\)")
_BARE_URL = re.compile(rf"<?({_URL_BODY})>?")
_URL_TRAILER = ".,;:!?'\")"
# A footnote or reference definition line: "[^1]: https://..." or "[2]: passage text".
_DEFINITION = re.compile(rf"^\s*\[\^?\s*({_ID})\s*\]:\s*(.*?)\s*$", re.IGNORECASE)
# "[1] https://..." or "1. [Title](https://...)": a numbered source list, not a claim.
_LISTED_SOURCE = re.compile(
    rf"^\s*(?:[-*+]\s+)?(?:\[\^?\s*({_ID})\s*\]|(\d{{1,3}})[.)])\s+(.*?)\s*$", re.IGNORECASE
)
_LINK_HOLE = "\x00"  # where a link's title goes back in once parenthesised citations are gone
_CITATION_PARENS = re.compile(r"\(\s*(?:\x00\d+\x00\s*[,;]?\s*)+\)")

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)[^*_]+\1\s*:?\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_QUOTE = re.compile(r"^\s*>\s?")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_TABLE_OR_RULE = re.compile(r"^\s*(?:\|.*\||[-*_]{3,}|```.*)\s*$")
_DIGIT = re.compile(r"\d")

CONNECTIVE_OPENERS = (
    "here is",
    "here's",
    "here are",
    "in summary",
    "in short",
    "to summarize",
    "to sum up",
    "overall",
    "in brief",
    "according to the sources",
    "based on the sources",
    "the sources",
    "these sources",
    "the provided sources",
    "the articles",
    "let's",
    "let me",
    "for example:",
    "sure",
    "yes",
    "no,",
    "i don't",
    "i do not",
    "i could not",
    "i couldn't",
)
# A statement about what the sources cover ("The sources do not say how long it took"), not a
# fact with a negation in it ("The articles say deploys did not slow down", which is scored).
_META = re.compile(
    r"\b(?:sources?|articles?|passages?|documents?|context)\s+(?:i\s+have\s+)?"
    r"(?:do not|don't|does not|doesn't|did not|didn't|cannot|can't)\s+"
    r"(?:say|mention|cover|discuss|address|contain|include|provide|specify|state|describe|"
    r"explain|give|tell|answer|offer|go into|talk about)\b"
    r"|\bno (?:information|mention|details?|data) (?:in|from|about)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Claim:
    """One segment of the answer: a sentence, bullet, heading or connective, with its markers."""

    index: int
    text: str
    start: int
    end: int
    citations: tuple[CitationId, ...]
    kind: ClaimKind
    line: int

    @property
    def is_claim(self) -> bool:
        return self.kind in ("sentence", "bullet")


@dataclass(frozen=True)
class Definition:
    """What a footnote or source-list line says a citation id stands for: a URL, a passage, or both.

    `[^1]: https://blog.example/a.html` gives a URL; `[^2]: "Drops fell by 5%." (Portal post)`
    gives text; `[^3]: [Portal post](https://...) "Drops fell by 5%."` gives both.
    """

    id: CitationId
    url: str | None
    text: str | None
    line: int


def _clean_url(raw: str) -> str:
    """A bare URL without the sentence punctuation that follows it ("see https://x/a.")."""
    url = raw
    while url and url[-1] in _URL_TRAILER:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _citation_spans(text: str) -> list[tuple[int, int, tuple[CitationId, ...], str | None]]:
    """Every citation in `text`: (start, end, ids, link title or None), in order, not overlapping.

    Links go first so a URL inside one is not read twice; bracket markers last.
    """
    found: list[tuple[int, int, tuple[CitationId, ...], str | None]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b, _, _ in found)

    for match in _LINK.finditer(text):
        found.append((match.start(), match.end(), (match.group(2),), match.group(1)))
    for match in _BARE_URL.finditer(text):
        url = _clean_url(match.group(1))
        end = match.start(1) + len(url) + (1 if match.group(0).endswith(">") else 0)
        if free(match.start(), end):
            found.append((match.start(), end, (url,), None))
    for match in _LENTICULAR.finditer(text):
        if free(match.start(), match.end()):
            found.append((match.start(), match.end(), (int(match.group(1)),), None))
    for match in _SUPERSCRIPT.finditer(text):
        if free(match.start(), match.end()):
            found.append((match.start(), match.end(), _items(match.group(1)), None))
    for match in MARKER.finditer(text):
        if free(match.start(), match.end()):
            found.append((match.start(), match.end(), _items(match.group(1)), None))
    return sorted(found)


def _items(group: str) -> tuple[CitationId, ...]:
    ids: list[CitationId] = []
    for item in re.split(r"\s*[,;]\s*", group):
        ids.extend(_expand(_PREFIX.sub("", item.strip())))
    return tuple(ids)


def has_citation(text: str) -> bool:
    """Whether `text` carries a citation in any of the recognised forms."""
    return bool(_citation_spans(text))


def parse_markers(text: str) -> tuple[str, tuple[CitationId, ...]]:
    """Remove citations from `text`; return the clean text and the ids, in order, once each.

    Handles `[1]`, `[1][2]`, `[1, 2]`, `[1-3]` (expanded), `[Source 2]`, string ids with a digit
    (`[S1]`), `[^1]`, `【1】`, `<sup>1</sup>`, Markdown links and bare URLs (the id is the URL).
    A link in running text keeps its title ("as [the runbook](url) says"); a link given as a
    parenthesised citation ("... by 5% ([Portal post](url)).") goes entirely, as do numeric
    titles (`[1](url)`). Bracketed words (`[sic]`) are left alone.
    """
    ids: list[CitationId] = []
    titles: list[str] = []
    pieces: list[str] = []
    cursor = 0
    for start, end, found, title in _citation_spans(text):
        ids.extend(found)
        pieces.append(text[cursor:start])
        if title is not None and not title.strip().isdigit():
            pieces.append(f"{_LINK_HOLE}{len(titles)}{_LINK_HOLE}")
            titles.append(title.strip())
        cursor = end
    pieces.append(text[cursor:])
    clean = _CITATION_PARENS.sub("", "".join(pieces))
    clean = re.sub(r"\x00(\d+)\x00", lambda m: titles[int(m.group(1))], clean)
    clean = re.sub(r"\(\s*[,;]?\s*\)", "", clean)
    clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
    clean = " ".join(clean.split())
    return clean, tuple(dict.fromkeys(ids))


def _expand(item: str) -> list[CitationId]:
    if match := _RANGE.match(item):
        low, high = sorted((int(match.group(1)), int(match.group(2))))
        if high - low > MAX_RANGE:
            return [low, high]
        return list(range(low, high + 1))
    if item.isdigit():
        return [int(item)]
    return [item]


def _definition(line: str, line_no: int) -> Definition | None:
    """The footnote or source-list entry on `line`, if it is one."""
    if match := _DEFINITION.match(line):
        cid, rest = match.group(1), match.group(2)
    elif (match := _LISTED_SOURCE.match(line)) and _names_only_a_source(match.group(3)):
        cid, rest = match.group(1) or match.group(2), match.group(3)
    else:
        return None
    ids = _expand(_PREFIX.sub("", cid.strip()))
    if len(ids) != 1:
        return None
    urls = [ids_[0] for _, _, ids_, _ in _citation_spans(rest)
            if isinstance(ids_[0], str) and ids_[0].startswith("http")]
    text = _without_citations(_EMPHASIS.sub("", rest)).strip(" -–—:\"'“”")
    if urls and _is_label(text):
        text = ""  # "[^1]: Portal post — https://..." names the page; it is not a passage
    return Definition(ids[0], urls[0] if urls else None, text or None, line_no)


def _without_citations(text: str) -> str:
    """`text` with every citation removed, link titles too (a definition's passage is the rest)."""
    pieces, cursor = [], 0
    for start, end, _, _ in _citation_spans(text):
        pieces.append(text[cursor:start])
        cursor = end
    pieces.append(text[cursor:])
    return " ".join(re.sub(r"\(\s*[,;]?\s*\)", "", "".join(pieces)).split())


def _names_only_a_source(rest: str) -> bool:
    """A source-list line: a URL or link, perhaps with a short title, and nothing claimed."""
    spans = _citation_spans(rest)
    if not any(isinstance(ids[0], str) for _, _, ids, _ in spans):
        return False
    return _is_label(parse_markers(_EMPHASIS.sub("", rest))[0])


def _is_label(text: str) -> bool:
    return len(text.split()) <= 12 and not text.rstrip().endswith((".", "!", "?"))


def footnote_definitions(answer: str) -> dict[CitationId, Definition]:
    """Every footnote or numbered source-list line of `answer`, by the id it defines."""
    out: dict[CitationId, Definition] = {}
    for line_no, line in enumerate(answer.splitlines()):
        if (found := _definition(line, line_no)) is not None:
            out.setdefault(found.id, found)
    return out


def split_claims(answer: str) -> list[Claim]:
    """Split a (markdown) answer into segments, classifying each one."""
    claims: list[Claim] = []
    offset = 0
    for line_no, line in enumerate(answer.splitlines(keepends=True)):
        body = line.rstrip("\r\n")
        if _definition(body, line_no) is not None:
            stripped = body.strip()
            start = body.index(stripped)
            claims.append(Claim(len(claims), stripped, offset + start,
                                offset + start + len(stripped), (), "definition", line_no))
            offset += len(line)
            continue
        for start, end, kind in _line_segments(body):
            raw = body[start:end]
            text, ids = parse_markers(_EMPHASIS.sub("", raw))
            if kind == "heading":
                text = text.lstrip("#").strip()
            previous = claims[-1] if claims else None
            if (not _has_words(text) and ids and previous is not None
                    and previous.line == line_no and previous.is_claim):
                # "Drops fell by 5%. 【1】" or "... 5%. ([Portal](url))": the citation belongs to
                # the sentence before it, which the splitter already closed at the period.
                claims[-1] = replace(previous, end=offset + end,
                                     citations=tuple(dict.fromkeys(previous.citations + ids)))
                continue
            if kind == "sentence" and not ids and is_connective(text):
                kind = "connective"
            claims.append(
                Claim(len(claims), text, offset + start, offset + end, ids, kind, line_no)
            )
        offset += len(line)
    return [c for c in claims if c.text or c.citations]


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _line_segments(line: str) -> list[tuple[int, int, ClaimKind]]:
    """Spans of one line in line coordinates, with their kind."""
    if not line.strip() or _TABLE_OR_RULE.match(line):
        return []
    stripped = line.strip()
    if _HEADING.match(line) or _BOLD_LINE.match(line):
        return [(line.index(stripped), len(line.rstrip()), "heading")]
    body_start = 0
    kind: ClaimKind = "sentence"
    if match := _QUOTE.match(line):
        body_start = match.end()
    if match := _BULLET.match(line, body_start):
        body_start, kind = match.end(), "bullet"
    if kind == "sentence" and is_bare_heading(line[body_start:]):
        return [(line.index(stripped), len(line.rstrip()), "heading")]
    spans = _reattach_leading_citations(line, sentence_spans(line, body_start))
    if kind == "bullet" and len(spans) == 1 and is_list_label(line[spans[0][0] : spans[0][1]]):
        kind = "heading"  # "- Runbooks" or "- Key steps:" labels a list; it claims nothing
    return [(start, end, kind) for start, end in spans]


_LEADING_CITATION = re.compile(
    rf"(?:\s*(?:{_LENTICULAR.pattern}|<sup>[^<\n]{{0,40}}</sup>"
    rf"|\((?:\s*(?:{_LINK.pattern}|{_URL_BODY})\s*[,;]?)+\s*\)))+",
    re.IGNORECASE,
)


def _reattach_leading_citations(
    line: str, spans: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Move "【1】" or "([Post](url))" at the start of a sentence to the sentence before it.

    The sentence splitter keeps `[n]` after a period with its sentence, but not these forms:
    "Drops fell by 5%. 【1】 Logs came first." would otherwise cite [1] for the second sentence.
    """
    out = list(spans)
    for i in range(1, len(out)):
        start, end = out[i]
        match = _LEADING_CITATION.match(line, start, end)
        if match is None or not _has_words(line[match.end() : end]):
            continue
        rest = match.end()
        while rest < end and line[rest].isspace():
            rest += 1
        out[i - 1] = (out[i - 1][0], match.end())
        out[i] = (rest, end)
    return out


def is_bare_heading(text: str) -> bool:
    """A short uncited line with no sentence punctuation, such as "Ownership" or "Key steps:"."""
    text = _EMPHASIS.sub("", text).strip()
    if not text or has_citation(text) or text[-1] in ".!?":
        return False
    return len(text.split()) <= 8


def is_list_label(text: str) -> bool:
    """A bullet that names a topic rather than stating something: "Runbooks", "On-call:".

    Terse bullets are claims ("- Deploys got 3x faster" is as checkable as a sentence), so only
    a lead-in ending in a colon, or one or two words without a number, count as a label.
    """
    text = _EMPHASIS.sub("", text).strip()
    if not text or has_citation(text) or text[-1] in ".!?":
        return False
    if text.endswith(":"):
        return len(text.split()) <= 8
    return len(text.split()) <= 2 and not _DIGIT.search(text)


def names_a_gap(text: str) -> bool:
    """A statement that the sources do not cover something ("My sources don't cover X.")."""
    return bool(_META.search(text.replace("’", "'")))


def is_connective(text: str) -> bool:
    """A sentence that frames the answer rather than stating a fact, so it needs no citation.

    Lead-ins ending in a colon, questions, one- or two-word interjections, short openers
    ("In short,", "Overall, yes.") and statements about what the sources cover ("The sources do
    not say ...") qualify. Anything longer stays a claim, so facts cannot hide behind "Overall,",
    and so does anything with a number in it ("The sources cite 50%.") or a negated fact that
    merely mentions the sources ("The articles say deploys did not slow down.").
    """
    lowered = text.lower().replace("’", "'").strip()
    words = len(lowered.split())
    if not lowered or (words <= 2 and not _DIGIT.search(lowered)) or lowered.endswith("?"):
        return True
    if lowered.endswith(":") and words <= 20:
        return True
    if _META.search(lowered) and words <= 16:
        return True  # "My sources don't cover promotion to L5." names a gap, not a fact
    return lowered.startswith(CONNECTIVE_OPENERS) and words <= 4 and not _DIGIT.search(lowered)
