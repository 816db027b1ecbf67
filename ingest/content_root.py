"""Which element of a page holds the article: the one its markup declares, else the one
that holds most of its text together with its heading and lead paragraphs.
"""

from __future__ import annotations

from bs4 import Tag

from ingest.clutter import is_clutter, remove_clutter
from ingest.element_text import inline_text, is_text, link_density

MIN_WORDS = 40  # fewer words than this is a stub, a login wall or an error page
_LEAD_MIN_WORDS = 8  # a sentence that says something, not a label or a date line
_CONTAINER_ONLY = {"table", "tbody", "thead", "tfoot", "tr", "ul", "ol", "dl", "pre", "p"}


def _word_count(tag: Tag) -> int:
    """Words of running text: paragraphs, list items, quotes, code and table cells.

    Cells count because a competency page's text is mostly its table; nested
    holders count twice, which only matters against MIN_WORDS, a low bar.
    """
    holders = ["p", "li", "pre", "blockquote", "td", "th", "dd"]
    return sum(len(p.get_text(" ").split()) for p in tag.find_all(holders))


def structural_root(body: Tag) -> Tag | None:
    """The element the markup declares as the article, if it holds enough text."""
    selectors = ('[itemprop="articleBody"]', "article", '[role="main"]', "main")
    for selector in selectors:
        candidates = [c for c in body.select(selector) if not is_clutter(c)]
        if not candidates:
            continue
        best = max(candidates, key=_word_count)
        if _word_count(best) >= MIN_WORDS:
            return best
    return None


def density_root(body: Tag) -> Tag:
    """The deepest element holding most of the page's non-link text.

    For pages without article markup: clutter is stripped first, then every text
    node outside a link credits its length to all its ancestors, and we descend
    from <body> while one child still holds 70% of that mass. Ads or images
    splitting an article into sibling divs keep the walk at their parent.
    """
    remove_clutter(body)
    mass: dict[int, int] = {}
    for string in body.find_all(string=True):
        size = len(string.strip())
        if not size or not is_text(string) or string.find_parent("a") is not None:
            continue
        for ancestor in string.parents:
            mass[id(ancestor)] = mass.get(id(ancestor), 0) + size
            if ancestor is body:
                break
    threshold = 0.7 * mass.get(id(body), 0)
    title = _title_heading(body)
    node = body
    while threshold > 0:
        heavy = [c for c in node.find_all(True, recursive=False) if mass.get(id(c), 0) >= threshold]
        if not heavy or heavy[0].name in _CONTAINER_ONLY:
            break  # a table or list is one block of the article, never the article itself
        if title is not None and node is not body and _holds_lead(node, title, heavy[0]):
            break  # the node holds the page's heading, its lead and its body: keep all three
        node = heavy[0]
    return node


def _title_heading(body: Tag) -> Tag | None:
    """The page's first <h1> (after junk removal), the heading an article root should hold."""
    heading = body.find("h1")
    return heading if isinstance(heading, Tag) and inline_text(heading) else None


def _holds_lead(node: Tag, heading: Tag, child: Tag) -> bool:
    """Whether `node` holds `heading`, its heavy `child` does not, and prose sits beside it.

    The prose is a paragraph of `_LEAD_MIN_WORDS` words or more outside `child`, mostly
    not links: a lead that defines what the table below it lists. A site header or a
    menu beside the content holds no such paragraph, so the walk goes on past them.
    """
    if not any(parent is node for parent in heading.parents):
        return False
    if any(parent is child for parent in heading.parents):
        return False
    for paragraph in node.find_all("p"):
        if any(parent is child for parent in paragraph.parents):
            continue
        text = inline_text(paragraph)
        if len(text.split()) >= _LEAD_MIN_WORDS and link_density(paragraph, text) < 0.5:
            return True
    return False
