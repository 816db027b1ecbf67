"""The opening of a definition question: the source's own statement of what the thing is.

"What is a trade study?" opens with "Trade studies are a tool for selecting the best
option ...", not with the best-scoring sentence about trade studies. Sources define in two
ways, both taken: a sentence whose subject is the asked term ("A decision log is a
Markdown file ..."), or a heading naming the term over a list of its predicates
("Engineering Feasibility Spikes" over "- Are regimented yet collaborative time-boxed
investigatory activities ..."). The subject must be the asked term (its head noun, and
only words of the asked phrase): "The key purpose of the engineering feasibility spike is
learning" says what a spike is for, not what it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.answer.direct import Unit, term_set, units_of
from app.answer.opener import may_open
from app.question import QuestionAnalysis
from app.retrieve import Hit

# "<subject> is/are/means/refers to <predicate>"; predicates that judge rather than
# define ("is important", "are not", "is often used") do not count.
_DEFINES = re.compile(
    r"^(?:(?:a|an|the)\s+)?(?P<subject>[^,;:()]{2,60}?)\s+(?:is|are|means|refers\s+to)\s+"
    r"(?!(?:not|also|often|usually|sometimes|most|more|less|very|important|key|critical|"
    r"crucial|essential|useful|helpful|great|good|best|likely|able|why|how)\b)",
    re.IGNORECASE,
)
# A list item carrying the predicate of the heading above it: "- Are regimented ...";
# under a heading asking the question ("What is a Pre-Mortem?") any first item answers.
_PREDICATE_ITEM = re.compile(r"^(?:Is|Are|Means|Refers to)\s+\S")
_ASKING_HEADING = re.compile(r"^\s*what\s+(?:is|are)\b", re.IGNORECASE)
_MAX_ITEMS = 3  # a headed definition brings at most this many of its predicate items
_RETRIEVAL_WEIGHT = 0.1  # breaks ties between equally named definitions


@dataclass(frozen=True)
class Definition:
    """A definition to open the answer with: one sentence (`heading` empty) or a heading
    and the predicate items under it."""

    units: tuple[Unit, ...]
    heading: str = ""


def definition(analysis: QuestionAnalysis, hits: Sequence[Hit]) -> Definition | None:
    """The best definition of the term `analysis` asks about among the hits' chunks, or
    None when the question is no definition or no chunk defines the term."""
    asked = analysis.defined
    if not asked:
        return None
    best: tuple[float, Definition] | None = None
    seen: set[str] = set()
    for hit in hits:
        if hit.chunk.id in seen:
            continue
        seen.add(hit.chunk.id)
        for value, found in _definitions(asked, hit):
            value += _RETRIEVAL_WEIGHT * hit.score
            if best is None or value > best[0] + 1e-9:
                best = (value, found)
    return best[1] if best else None


def names_term(phrase: str, asked: tuple[str, ...]) -> float:
    """How fully `phrase` names the asked term: the share of the asked terms it holds,
    or 0 when it misses the head noun or adds words of its own ("technical spike" does
    not name an "engineering feasibility spike")."""
    found = term_set(phrase)
    if not found or asked[-1] not in found or not found <= set(asked):
        return 0.0
    if len(found) < min(2, len(asked)):
        return 0.0
    return len(found) / len(asked)


def _definitions(asked: tuple[str, ...], hit: Hit) -> list[tuple[float, Definition]]:
    chunk = hit.chunk
    units = units_of(chunk)
    out: list[tuple[float, Definition]] = []
    for unit in units:
        match = _DEFINES.match(unit.text)
        if match and may_open(unit.text) and "?" not in unit.text:
            named = names_term(match.group("subject"), asked)
            if named:
                out.append((named, Definition((unit,))))
    heading = chunk.heading_path[-1] if chunk.heading_path else ""
    asking = bool(_ASKING_HEADING.match(heading))
    items: list[Unit] = []
    for unit in units:  # the chunk opens with the list under its heading
        if not unit.item or len(items) >= _MAX_ITEMS or (
                not items and not asking and not _PREDICATE_ITEM.match(unit.text)):
            break
        items.append(unit)
    named = names_term(_ASKING_HEADING.sub("", heading).strip(" ?"), asked) if items else 0.0
    if named:
        out.append((named, Definition(tuple(items), heading.strip())))
    return out
