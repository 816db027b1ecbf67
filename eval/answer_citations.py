"""The citations an answer makes, whatever form it writes them in, as one list of CitedSource.

A target reports citations as a list of `{id, url, quote?, text?}`, but many systems
put part or all of that in the answer itself: footnote definitions (`[^1]: https://...`
or `[^2]: the passage`), numbered source lists, Markdown links and bare URLs. This
module merges both, so an answer citing `[title](url)` or `[^1]` with a footnote is
judged on the same terms as one whose target sent a citations list.
"""

from __future__ import annotations

from dataclasses import replace

from app.check.claims import footnote_definitions, split_claims
from eval.targets import AnswerRecord, CitedSource
from eval.url_sources import page_key


def citation_key(cid: object) -> str:
    """Ids compare as text: a marker `[1]` names the citation whose id is "1" or 1."""
    return str(cid).strip()


def is_url_id(cid: object) -> bool:
    return isinstance(cid, str) and cid.startswith(("http://", "https://"))


def complete_citations(record: AnswerRecord) -> AnswerRecord:
    """`record` with the citations its answer defines or links to added to its list.

    A footnote definition fills in the URL or passage of a listed citation with the same id
    (the list wins where both say something); a URL the answer cites that no listed citation
    has becomes a citation whose id is the URL.
    """
    if not record.answer:
        return record
    by_key = {citation_key(c.id): c for c in record.citations}
    order = list(by_key)
    for cid, definition in footnote_definitions(record.answer).items():
        key = citation_key(cid)
        known = by_key.get(key)
        if known is None:
            by_key[key] = CitedSource(cid, definition.url or "", text=definition.text)
            order.append(key)
        else:
            by_key[key] = replace(known, url=known.url or definition.url or "",
                                  text=known.text or definition.text)
    urls = {page_key(c.url) for c in by_key.values() if c.url}
    for claim in split_claims(record.answer):
        for cid in claim.citations:
            if is_url_id(cid) and citation_key(cid) not in by_key and page_key(cid) not in urls:
                by_key[citation_key(cid)] = CitedSource(cid, str(cid))
                order.append(citation_key(cid))
                urls.add(page_key(str(cid)))
    return replace(record, citations=[by_key[k] for k in order])


def citation_lookup(citations: list[CitedSource]) -> dict[str, CitedSource]:
    """Key -> citation, where a key is an id as text or a cited page's URL (a link names it)."""
    table = {citation_key(c.id): c for c in citations}
    for citation in citations:
        if citation.url:
            table.setdefault(page_key(citation.url), citation)
    return table


def resolve_id(table: dict[str, CitedSource], cid: object) -> CitedSource | None:
    key = citation_key(cid)
    if key in table:
        return table[key]
    return table.get(page_key(key)) if is_url_id(cid) else None
