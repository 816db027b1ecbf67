"""Site-relative paths for page URLs: the form the question set's `gold_urls` take.

A dataset names pages as "case-studies/portal.html", matched as a URL path suffix, so it
scores a corpus wherever it is served. To turn a stored URL back into that form we need
the site's root: for each host, the deepest folder every stored page of that host sits
under (the sample corpus at http://127.0.0.1:8000/sample/ has pages in articles/ and
case-studies/, so its root is /sample/).
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable
from urllib.parse import urlsplit


class SiteRoots:
    """The root folder of each host, learnt from the URLs of its stored pages."""

    def __init__(self, urls: Iterable[str]) -> None:
        folders: dict[str, list[str]] = defaultdict(list)
        for url in urls:
            parts = urlsplit(url)
            folders[parts.netloc].append(posixpath.dirname(parts.path) + "/")
        self.roots = {host: _common_folder(paths) for host, paths in folders.items()}

    def relative(self, url: str) -> str:
        """`url` as a path relative to its site's root ("articles/a.html")."""
        parts = urlsplit(url)
        root = self.roots.get(parts.netloc, "/")
        path = parts.path
        if path.startswith(root):
            path = path[len(root):]
        return path.lstrip("/")


def _common_folder(folders: list[str]) -> str:
    """The deepest folder that contains every folder in `folders` (ends with "/")."""
    if len(set(folders)) == 1:
        # One folder only: it may be a section, not the root; going one level up keeps the
        # section in the path, which the suffix match still finds.
        return posixpath.dirname(folders[0].rstrip("/")).rstrip("/") + "/"
    common = posixpath.commonpath(folders)
    return common.rstrip("/") + "/"
