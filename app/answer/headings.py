"""Names for the extractive answer's sections, taken from the sources' own headings.

A section of a specific answer is named after the heading it quotes ("Build automated
detection"); a section of a trait answer, one per article, after the article's title,
shortened to the trait it names ("Owning Outcomes, Not Tickets" -> "Owning outcomes").
"""

from __future__ import annotations

import re

from app.terms import terms
from ingest.records import Chunk

# Section names that say where in a story we are, not what the section is about.
_GENERIC_HEADING_TERMS = frozenset(
    terms(
        "situation result results outcome outcomes take takeaway takeaways lesson lessons step "
        "steps overview introduction conclusion background summary engineer engineers staff "
        "changed change stood starting point work worked happened next did made kind case study "
        "wrap final thoughts"
    )
)
_STEP_PREFIX = re.compile(r"^(?:step|phase|part|days?)\s*[\d–-]+\s*[:.–-]\s*|^case study:\s*", re.I)

# The parts of a story (a case study's sections), by their heading.
StoryPart = str  # "step" | "result" | "background" | "takeaway" | "intro" | "other"
_STEP = re.compile(r"^(?:step|phase|part)\s*\d", re.IGNORECASE)
_RESULT = re.compile(r"\b(?:results?|outcomes?|impact|what changed|payoff)\b", re.IGNORECASE)
_BACKGROUND = re.compile(r"\b(?:situation|background|problem|context|challenge)\b", re.I)
_TAKEAWAY = re.compile(r"\b(?:take\s+from|takeaways?|lessons?|wrap|final thoughts)\b", re.I)

_MAX_LABEL_WORDS = 6
# Where a title's subtitle starts: "Owning Outcomes, Not Tickets", "Senior, Staff,
# Principal: What Actually Changes", "Rebuilding On-Call at Instagram: Half the ...".
_SUBTITLE = re.compile(r"\s*(?::|\s[–—|-]\s)\s*")
_COMMA = re.compile(r"\s*,\s*")
# A relative or copular clause after the trait: "Technical Depth That Others Lean On",
# "Building Trust Is a Long Game", "The Debugging Tool That Spread to ...".
_CLAUSE = re.compile(r"\s+(?:that|which|who|is|are|was|were)\s+", re.IGNORECASE)
_TRAILING_AND = re.compile(r"\s+and\s+\S+$", re.IGNORECASE)
_PREPOSITION = frozenset(
    ["through", "across", "without", "with", "for", "in", "at", "on", "of", "from", "by", "as",
     "into", "out", "about"]
)


def trait_name(chunk: Chunk) -> str:
    """The section heading that names what a chunk is about.

    The h2 usually names a trait ("Close the loop"); story headings ("The result",
    "What the engineer did") fall through to the h3 ("Step 2: Build automated
    detection" -> "Build automated detection") and then to the article title.
    """
    for heading in chunk.heading_path[1:]:
        name = _STEP_PREFIX.sub("", heading).strip().rstrip(":.")
        if name and set(terms(name)) - _GENERIC_HEADING_TERMS:
            return name[0].upper() + name[1:]
    return chunk.title or (chunk.heading_path[0] if chunk.heading_path else "From the sources")


def story_part(chunk: Chunk) -> StoryPart:
    """Which part of a story a chunk tells, from its most specific heading: a "step"
    ("Step 2: Build automated detection"), the "result", the "background" ("The
    situation"), the "takeaway" ("What to take from it"), the "intro" (no heading), or
    "other"."""
    headings = chunk.heading_path[1:]
    if not headings:
        return "intro"
    last = headings[-1]
    if _STEP.match(last):
        return "step"
    for pattern, part in ((_RESULT, "result"), (_TAKEAWAY, "takeaway"),
                          (_BACKGROUND, "background")):
        if pattern.search(last):
            return part
    return "other"


def story_section_name(chunk: Chunk) -> str:
    """A story section's name: the step's name ("Build automated detection"), else the
    heading as written ("The result")."""
    headings = chunk.heading_path[1:]
    if not headings:
        return trait_name(chunk)
    name = _STEP_PREFIX.sub("", headings[-1]).strip().rstrip(":.") or headings[-1]
    return name[0].upper() + name[1:]


def trait_label(title: str, text: str = "") -> str:
    """An article title shortened to the trait it names, in sentence case.

    "Owning Outcomes, Not Tickets" -> "Owning outcomes"; "Technical Depth That Others
    Lean On" -> "Technical depth"; "Multiplying Your Team Through Tooling and
    Infrastructure" -> "Multiplying your team through tooling". Words the article's
    `text` capitalises mid-sentence (Meta, Instagram) keep their capitals.
    """
    label = _SUBTITLE.split(title.strip(), maxsplit=1)[0]
    before_comma = _COMMA.split(label, maxsplit=1)[0]
    if len(before_comma.split()) >= 2:  # not "Senior, Staff, Principal"
        label = before_comma
    clause = _CLAUSE.split(label, maxsplit=1)[0]
    if len(clause.split()) >= 2:
        label = clause
    words = label.split()
    if len(words) > _MAX_LABEL_WORDS:
        words = _TRAILING_AND.sub("", label).split()
    while len(words) > _MAX_LABEL_WORDS:
        cuts = [i for i, w in enumerate(words) if i >= 2 and w.lower() in _PREPOSITION]
        if not cuts:
            break  # no phrase boundary: a long label beats a cut mid-phrase
        words = words[: cuts[-1]]
    while len(words) > 2 and words[-1].lower() in _PREPOSITION:
        words.pop()  # "Automating APK Size Regressions Out of ..." -> "... Regressions"
    return _sentence_case(" ".join(words) or title.strip(), text)


def _sentence_case(label: str, text: str) -> str:
    # A proper noun: capitalised mid-sentence in the text, and never written in lower case.
    lowered = set(re.findall(r"\b[a-z][\w’'-]*", text))
    proper = {w for w in re.findall(r"(?<=[a-z,;]\s)([A-Z][\w’'-]*)", text)
              if w.lower() not in lowered}
    words = label.split()
    out = [words[0][:1].upper() + words[0][1:]] if words else []
    for word in words[1:]:
        keep = (word in proper or not word[:1].isupper() or word.isupper()  # APK, AI, L5
                or any(c.isdigit() for c in word))
        out.append(word if keep else word.lower())
    return " ".join(out)


# A heading that names no content: a link, or a person ("Dan Na", "Dan Na, Staff Engineer
# at Pinterest"): interview pages head each answer with the interviewee's name.
_LINKISH = re.compile(r"https?:|www\.|\.(?:com|org|io|net|html?|md)\b|/")
_NAME_WORD = re.compile(r"^[A-Z][a-z’'-]+$")
_NAME_HEAD = re.compile(r"^([A-Z][a-z’'-]+(?:\s+[A-Z][a-z’'.-]+){1,2})\s*(?:[,(–—-]|$)")
_ANCHOR = re.compile(r"\s*\{#[^}]*\}")  # "Every Line {#every-line}": a Markdown anchor
_NAME_PARTICLES = frozenset(["de", "van", "von", "da", "di", "le", "la", "del", "bin"])


def names_content(heading: str, chunk: Chunk) -> bool:
    """Whether a heading says what its section is about: not a URL, not a person's name
    (capitalised words the chunk never writes in lower case), not the page title."""
    text = heading.strip()
    if not text or _LINKISH.search(text) or text == chunk.title.strip():
        return False
    head = _NAME_HEAD.match(text)
    if head:
        lowered = {w.lower() for w in re.findall(r"\b[a-z][\w’'-]*", chunk.text)}
        parts = [w for w in head.group(1).split() if w.lower() not in _NAME_PARTICLES]
        if all(_NAME_WORD.match(w) and w.lower() not in lowered for w in parts):
            return False
    return bool(set(terms(text)) - _GENERIC_HEADING_TERMS)


def section_name(chunk: Chunk, points: list[str] | None = None) -> str:
    """The heading naming a section of a specific answer: the chunk's own heading when it
    names content (see `names_content`), else a name made from what the points say."""
    for heading in chunk.heading_path[1:]:
        name = _ANCHOR.sub("", _STEP_PREFIX.sub("", heading)).strip().rstrip(":.")
        if names_content(name, chunk):
            return name[0].upper() + name[1:]
    return content_name(points or [_first_sentence(chunk.text)])


def content_name(texts: list[str]) -> str:
    """A short name from what the texts say: their two most repeated content words, as
    written ("Reviewers and approvers"); "Related points" when no word repeats."""
    counts: dict[str, int] = {}
    surface: dict[str, str] = {}
    for text in texts:
        seen: set[str] = set()
        for word in re.findall(r"[A-Za-z][\w’'-]{3,}", text):
            key = terms(word)
            if not key or key[0] in seen or key[0] in _GENERIC_HEADING_TERMS:
                continue
            seen.add(key[0])
            counts[key[0]] = counts.get(key[0], 0) + 1
            surface.setdefault(key[0], word if word.isupper() else word.lower())
    ranked = [k for k in sorted(counts, key=lambda k: (-counts[k], list(surface).index(k)))
              if counts[k] >= 2 and not surface[k][:1].isupper()][:2]
    if not ranked:
        return "Related points"
    name = " and ".join(surface[k] for k in ranked)
    return name[0].upper() + name[1:]


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
