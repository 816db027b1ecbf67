"""Article titles: what the page calls itself, never its URL.

Order of preference (the first that gives a non-empty title wins): front matter
`title` (or an issue template's `name`), the page's first heading (for HTML: `og:title`,
then the heading that the `<title>` names, then the article's first `<h1>`), the HTML
`<title>` minus the site's name, and finally the file name made readable
("2019-03-04-on-call-reviews.md" -> "On call reviews"; an index or README file is named
after its folder).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

_TITLE_SEP = re.compile(r"\s+(\||·|::|»|–|—|-)\s+")
_DATE_PREFIX = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}[-_]")
_INDEX_NAMES = {"index", "readme", "_index", "default", "home"}


def strip_site_suffix(title: str, site: str | None) -> str:
    """'Building Trust | Field Notes' -> 'Building Trust'; dashes only for a short or known tail."""
    separators = list(_TITLE_SEP.finditer(title))
    if not separators:
        return title
    last = separators[-1]
    head, sep, tail = title[: last.start()].strip(), last.group(1), title[last.end() :].strip()
    known = site is not None and tail.lower() == site.lower()
    # "Post title - DevCareer Forum": a short, capitalized tail is a site name.
    short_tail = len(tail.split()) <= 4 and all(
        w[0].isupper() or w[0].isdigit() for w in tail.split()
    )
    if head and (sep in ("|", "·", "::", "»") or known or short_tail):
        return head
    return title


def title_from_url(url: str) -> str:
    """A readable title from the last path segment of `url` (its folder's for index files)."""
    parts = [unquote(p) for p in PurePosixPath(urlsplit(url).path).parts if p not in ("/", "")]
    while parts:
        stem = PurePosixPath(parts.pop()).stem
        if stem.lower() not in _INDEX_NAMES:
            words = re.sub(r"[-_.+]+", " ", _DATE_PREFIX.sub("", stem)).strip()
            if words:
                return words[0].upper() + words[1:]
    host = urlsplit(url).hostname
    return host or "Untitled"


def is_url(text: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*://", text, re.I))
