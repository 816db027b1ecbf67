"""Sections that point at other reading instead of saying something: "Resources",
"Further reading", "See also".

Such a section is a list of titles of other documents, dense in the topic's words and
short, so both BM25 (length normalisation) and the embedding rank it near the top for
broad questions, yet it answers nothing. On `../shared/corpora` 23 of 1,468 chunks sit
under such a heading, and on the dev side of `eval/datasets/corpus_questions.jsonl` one
of them took a top-five place for 8 of the 44 questions without history (for 4, on a page
that is no gold page of the question), and their items (a talk's title and speaker, a
book's title) became points of answers.

A question that asks for reading ("Any good resources on code review?") is the exception:
there the list is the answer.
"""

from __future__ import annotations

import re
from functools import lru_cache

from core.terms import words
from ingest.records import Chunk

# The whole heading names a list of other reading: "Resources", "Additional resources",
# "CNCF resources", "Further Reading", "References", "Performance management quick links",
# "See also". Anchored at both ends: "Resources for community group leads" and
# "References are important to us" are sections with content of their own, and so is a
# heading joining resources to something else ("Mentoring Programs and Resources").
_READING_HEADING = re.compile(
    r"(?:(?!(?:and|or)\s)[\w-]+\s+){0,3}(?:resources|reading|references|links|reading\s+list)"
    r"|see\s+also|learn\s+more|bibliography",
    re.IGNORECASE,
)


def is_reading_list(chunk: Chunk) -> bool:
    """Whether the chunk sits in a reading-list section (its innermost heading)."""
    return bool(chunk.heading_path) and names_reading_list(chunk.heading_path[-1])


@lru_cache(maxsize=65_536)
def names_reading_list(heading: str) -> bool:
    """Whether a section heading names a list of other reading ("Further Reading")."""
    text = " ".join(heading.split()).strip(" :")
    return _READING_HEADING.fullmatch(text) is not None


# Words of a question asking where to read more.
_READING_WORDS = frozenset(["resource", "resources", "reading", "read", "books", "book",
                            "links", "references", "bibliography", "articles", "talks"])


def asks_for_reading(question: str) -> bool:
    """Whether the question asks for things to read ("Where can I read more about X?")."""
    return not _READING_WORDS.isdisjoint(words(question))
