"""Walking a content root into text blocks, in document order, with their heading paths.

Paragraphs, lists, tables, quotes and code become blocks; headings become the path of
the blocks below them; interview questions become headings too; bylines, editorial
notes and boilerplate are kept out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from bs4 import (
    NavigableString,
    PageElement,
    Tag,
)

from ingest.clutter import class_tokens
from ingest.element_text import (
    HEADINGS,
    INVISIBLE,
    collapse,
    inline_text,
    is_block,
    is_text,
    link_density,
    raw_text,
)
from ingest.tables import table_lines

_HEADER_TOKENS = {"header", "hero"}  # holders of the title: keep their headings only
# A section under one of these headings is furniture even when its markup says nothing.
_BOILERPLATE_HEADING = re.compile(
    r"^(related( articles| posts| reading| stories| content)?|popular( posts| articles)?"
    r"|you (may|might) also (like|enjoy)|read (next|more)|more (from|like this|stories)"
    r"|recommended( for you| reading)?|trending|\d*\s*comments?|(leave|post) a (reply|comment)"
    r"|join the discussion|share( this)?( article| post| story)?|subscribe\b.*"
    r"|(get|join) (the|our) newsletter|sign up\b.*|about the author|tags|categories)\W*$",
    re.IGNORECASE,
)
# Short blocks with these texts are banners or ad labels that escaped the markup rules.
_BOILERPLATE_TEXT = re.compile(
    r"we use cookies|this (web)?site uses cookies|accept (all )?cookies|all rights reserved"
    r"|^(©|copyright ©?)\s*\d{4}|subscribe to (our|the) newsletter"
    r"|sign up for (our|the) newsletter|^(sponsored|advertisement|promoted|paid post)\b"
    r"|^(related|see also|read (more|next|also)|recommended|more on this)\s*:"
    # a docs site's page date, "Last update: August 26, 2024" (not "Update: we now ...")
    r"|^(last )?(update|updated|modified|edited)( on)?\s*:?\s*"
    r"(\w+\.? \d{1,2},? \d{4}|\d{1,2} \w+ \d{4}|\d{4}-\d{2}-\d{2})\W*$",
    re.IGNORECASE,
)
_AD_LABEL = re.compile(
    r"^(advertisement|advertising|ad|ads|sponsored( content)?|promoted|paid content"
    r"|(story )?continues below( advertisement)?|continue reading below)$",
    re.IGNORECASE,
)
_BOILERPLATE_MAX_WORDS = 50
# "By Jane Doe · 5 min read" left unmarked; "By Friday, the team had shipped." is a sentence.
_BYLINE = re.compile(
    r"([Ww]ritten |[Pp]osted )?[Bb]y [A-Z][\w.'-]*( [A-Z][\w.'-]*){0,3}\b|\d+ min(ute)? read\b"
)
_HEADER_MAX_WORDS = 80
# "This story was recorded in March, 2020. Learn more about Ana on her blog.": a note about
# the piece, not its content. Only short paragraphs are tested (a note is a line or two).
_EDITORIAL_NOTE = re.compile(
    r"\bthis (story|interview|conversation|post|piece|article|talk|essay) (was|has been)"
    r" (recorded|conducted|written|edited|condensed|first published|originally published)"
    r"|\blearn more about \S+( \S+){0,3} (on|at) (his|her|their) (blog|website|site|homepage)"
    r"|\b(you can )?(find|follow) \S+( \S+){0,3} on (twitter|mastodon|linkedin|github|(his|her|"
    r"their) (blog|website))",
    re.IGNORECASE,
)
_NOTE_MAX_WORDS = 60
# A page's dek: one wholly italic line under the title, before any text or section
# ("_A friendly guide for reviewing code, at TTS._"). It describes the piece, like a note.
_DEK_MAX_WORDS = 30
# An interview's question: "Q: ...", "Question: ...", or a bold line of its own.
_QUESTION_PREFIX = re.compile(r"^(q|question|interviewer)\s*[:.]\s*", re.IGNORECASE)
_ANSWER_PREFIX = re.compile(r"^(a|answer)\s*[:.]\s+", re.IGNORECASE)
_BOLD_HEADING_MAX_WORDS = 12  # a longer bold line is an emphasised sentence, kept as text
_QUESTION_LEVEL = 7  # below every real heading: the next question or any heading ends it


@dataclass
class RawBlock:
    kind: str
    text: str
    heading_path: tuple[str, ...]


@dataclass
class BlockWalker:
    """Walks a content root in document order, tracking the heading stack.

    The stack starts as [(1, title)]: the first <h1> is the title itself, later
    headings push/pop by level. A boilerplate heading ("Related articles") opens a
    skipped region that ends at the next heading of its level or above, or when the
    element that contains it ends.
    """

    title: str
    root: Tag
    # Markdown: every list and section is the author's. A "Comments" or "Related reading"
    # heading there titles a real section, not a site's comment thread (see _is_boilerplate).
    authored: bool = False
    blocks: list[RawBlock] = field(default_factory=list)
    stack: list[tuple[int, str]] = field(default_factory=list)
    seen_h1: bool = False
    skip_level: int | None = None
    skip_scope: Tag | None = None
    byline: str | None = None  # an unmarked "By Jane Doe" line, for the author
    notes: list[str] = field(default_factory=list)  # "This story was recorded in ..."

    def run(self) -> list[RawBlock]:
        self.stack = [(1, self.title)]
        self._walk(self.root)
        return self.blocks

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.stack)

    def _walk(self, container: Tag) -> None:
        run: list[PageElement] = []
        for child in container.children:
            if isinstance(child, Tag) and is_block(child):
                self._flush_inline(run)
                run = []
                self._block(child)
            elif isinstance(child, Tag) or is_text(child):
                run.append(child)
        self._flush_inline(run)
        if self.skip_scope is container:
            self.skip_level, self.skip_scope = None, None

    def _block(self, tag: Tag) -> None:
        name = tag.name
        if name in HEADINGS:
            self._heading(int(name[1]), tag)
        elif name == "p" and (question := _question(tag)):
            self._heading(_QUESTION_LEVEL, tag, question)
        elif name == "p" or name in ("dt", "dd", "summary", "address"):
            self._emit("paragraph", self._answer(inline_text(tag)), tag)
        elif name in ("ul", "ol"):
            self._emit("list", "\n".join(_list_lines(tag, depth=0)), tag)
        elif name == "dl":
            self._emit("list", "\n".join(_definition_lines(tag)), tag)
        elif name == "table" and not tag.find("table"):
            self._emit("table", "\n".join(table_lines(tag, _cell_text)), tag)
        elif name == "blockquote":
            self._emit("quote", inline_text(tag), tag)
        elif name == "pre":
            self._emit("code", _code_text(tag), tag)
        elif _is_title_header(tag) and tag is not self.root:
            for heading in tag.find_all(HEADINGS):
                self._heading(int(heading.name[1]), heading)
        elif name != "hr":
            self._walk(tag)

    def _heading(self, level: int, tag: Tag, text: str | None = None) -> None:
        text = text or inline_text(tag)
        if not text:
            return
        if level == 1 and not self.seen_h1:
            self.seen_h1 = True
            self.stack = [(1, self.title)]
            return
        level = max(level, 2)  # a later <h1> is a section, the title stays the root
        if len(self.stack) == 1 and text == self.title:
            return  # the title again, as an <h2> on sites that style it so
        if not self.authored and _BOILERPLATE_HEADING.match(text):
            self.skip_level, self.skip_scope = level, self._section_of(tag, text)
            return
        if self.skip_level is not None and level <= self.skip_level:
            self.skip_level, self.skip_scope = None, None
        while len(self.stack) > 1 and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text))

    def _section_of(self, heading: Tag, text: str) -> Tag | None:
        """The element a boilerplate heading titles: its nearest ancestor holding more than it."""
        scope = heading.parent
        while scope is not None and scope is not self.root and inline_text(scope) == text:
            scope = scope.parent
        return None if scope is None or scope is self.root else scope

    def _flush_inline(self, run: list[PageElement]) -> None:
        """Loose text between blocks (old markup: text and <br>s straight inside a div)."""
        if not run:
            return
        raw = "".join(raw_text(node) for node in run)
        linked = sum(
            len(collapse(n.get_text())) for n in run if isinstance(n, Tag) and n.name == "a"
        )
        if linked and linked >= len(collapse(raw)):
            return  # a bare link between blocks ("Edit this page"): a control, not text
        for paragraph in re.split(r"\n\s*\n", raw):
            self._emit("paragraph", collapse(paragraph), None)

    def _emit(self, kind: str, text: str, tag: Tag | None) -> None:
        if not text or self.skip_level is not None:
            return
        if kind == "paragraph" and _is_byline(text):
            self.byline = self.byline or text
            return
        if kind == "paragraph" and (_is_editorial_note(text) or self._is_dek(tag, text)):
            self.notes.append(text)
            return
        if kind != "code" and _is_boilerplate(kind, text, tag, self.authored):
            return
        self.blocks.append(RawBlock(kind, text, self.path))

    def _is_dek(self, tag: Tag | None, text: str) -> bool:
        if tag is None or self.blocks or len(self.stack) > 1:
            return False
        return len(text.split()) <= _DEK_MAX_WORDS and _only_child_is(tag, ("em", "i"))

    def _answer(self, text: str) -> str:
        """An answer's "A:" goes once its question is a heading: it would open every quote."""
        if self.stack and self.stack[-1][0] == _QUESTION_LEVEL:
            return _ANSWER_PREFIX.sub("", text, count=1)
        return text


def _question(tag: Tag) -> str | None:
    """The question a paragraph asks, if it is an interview question line; else None.

    "Q: How did you start?" and "**Question:** ..." are questions; so is a paragraph that
    is one bold run of at most `_BOLD_HEADING_MAX_WORDS` words not ending in a full stop
    ("**Why staff?**", "**Responsibilities**"): a pseudo-heading. A bold sentence that
    ends in a period is emphasis and stays text.
    """
    text = inline_text(tag)
    if not text:
        return None
    if match := _QUESTION_PREFIX.match(text):
        rest = text[match.end() :]
        return rest if rest and text.endswith("?") else None
    if not _only_child_is(tag, ("strong", "b")) or text[-1] in ".!;,":
        return None
    return text if text.endswith("?") or len(text.split()) <= _BOLD_HEADING_MAX_WORDS else None


def _only_child_is(tag: Tag, names: tuple[str, ...]) -> bool:
    """True when all of `tag`'s text sits in one child element named in `names` ("**x**")."""
    parts = [c for c in tag.children if not (isinstance(c, NavigableString) and not str(c).strip())]
    return len(parts) == 1 and isinstance(parts[0], Tag) and parts[0].name in names


def _is_editorial_note(text: str) -> bool:
    return len(text.split()) <= _NOTE_MAX_WORDS and bool(_EDITORIAL_NOTE.search(text))


def _cell_text(cell: Tag) -> str:
    """A table cell's text; items of a list inside it are joined with "; " unless they end a
    sentence, so "Leads incidents" and "Writes postmortems" do not run together."""
    items = cell.find_all(["li", "p"])
    if not items:
        return inline_text(cell)
    parts = [inline_text(item) for item in items if not item.find(["li", "p"])]
    whole = inline_text(cell)
    joined = ""
    for part in filter(None, parts):
        joined += ("" if not joined else " " if joined[-1] in ".!?:" else "; ") + part
    # Text straight in the cell beside its list ("Label <ul>...") would be lost: keep all.
    return joined if len(joined.split()) >= len(whole.split()) else whole


def _is_title_header(tag: Tag) -> bool:
    """A header holding title, byline and share links; a big "header" is a mislabeled wrapper."""
    if tag.name != "header" and not class_tokens(tag) & _HEADER_TOKENS:
        return False
    return len(tag.get_text(" ").split()) < _HEADER_MAX_WORDS


def _is_byline(text: str) -> bool:
    return len(text.split()) <= 12 and text[-1] not in ".!?" and bool(_BYLINE.match(text))


def _is_boilerplate(kind: str, text: str, tag: Tag | None, authored: bool = False) -> bool:
    """Banners, ad labels, link-only paragraphs and link lists (navigation, "related").

    In `authored` text (Markdown) a list of links is the author's own list of pages,
    not a site's menu, unless its links only jump within the page (a table of contents).
    """
    words = len(text.split())
    if _AD_LABEL.match(text.strip(" .:-")):
        return True
    if words <= _BOILERPLATE_MAX_WORDS and _BOILERPLATE_TEXT.search(text):
        return True
    if tag is None:
        return False
    if kind == "paragraph":
        return words < 15 and link_density(tag, text) >= 0.9
    if kind == "list":
        items = tag.find_all("li")
        if authored and any(
            not str(a.get("href") or "").startswith("#") for a in tag.find_all("a")
        ):
            return False
        return len(items) >= 3 and all(
            link_density(li, collapse(li.get_text())) >= 0.9 for li in items
        )
    return False


def _list_lines(tag: Tag, depth: int) -> Iterator[str]:
    """One line per item: "- item" or "3. item", nested lists indented by two spaces."""
    ordered = tag.name == "ol"
    number = _int_attr(tag, "start", 1)
    indent = "  " * depth
    for li in tag.find_all("li", recursive=False):
        nested = li.find_all(["ul", "ol"], recursive=False)
        own = "".join(raw_text(c) for c in li.children if not any(c is n for n in nested))
        text = collapse(own)
        number = _int_attr(li, "value", number)
        if text:
            yield f"{indent}{number}. {text}" if ordered else f"{indent}- {text}"
        number += 1
        for sub in nested:
            yield from _list_lines(sub, depth + 1)


def _int_attr(tag: Tag, name: str, default: int) -> int:
    try:
        return int(str(tag.get(name)))
    except ValueError:
        return default


def _definition_lines(tag: Tag) -> Iterator[str]:
    term = ""
    for child in tag.find_all(["dt", "dd"]):
        text = inline_text(child)
        if child.name == "dt":
            term = text
        elif text:
            yield f"- {term}: {text}" if term else f"- {text}"


def _code_text(tag: Tag) -> str:
    """Code keeps its line breaks and indentation; only trailing spaces and blank edges go."""
    lines = [
        line.rstrip() for line in INVISIBLE.sub("", tag.get_text()).replace("\r", "").split("\n")
    ]
    return "\n".join(lines).strip("\n")
