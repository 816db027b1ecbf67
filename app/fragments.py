"""Text-fragment links (`#:~:text=`): open a cited page scrolled to the quote, highlighted.

Syntax per the WICG "URL Fragment Text Directives" spec: `text=start[,end]`, each part
percent-encoded, with "-", "," and "&" encoded too because they are the directive's own
delimiters. A long quote is linked as `start,end` (its first and last few words), which
keeps the URL short and still matches when the page wraps or restyles the middle.
"""

from __future__ import annotations

from urllib.parse import quote as percent_encode

_EDGE_WORDS = 4  # words in each of textStart and textEnd
_LONG_QUOTE_WORDS = 10  # longer quotes use the start,end form


def encode_part(text: str) -> str:
    return percent_encode(text, safe="").replace("-", "%2D")


def text_fragment_url(url: str, quote: str) -> str:
    """`url` (any fragment of its own removed) with a text directive for `quote`."""
    base = url.split("#", 1)[0]
    words = quote.split()
    if not words:
        return base
    if len(words) > _LONG_QUOTE_WORDS:
        start = " ".join(words[:_EDGE_WORDS])
        end = " ".join(words[-_EDGE_WORDS:])
        directive = f"{encode_part(start)},{encode_part(end)}"
    else:
        directive = encode_part(" ".join(words))
    return f"{base}#:~:text={directive}"
