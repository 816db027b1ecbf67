"""Hybrid retrieval: dense + BM25 fused by reciprocal rank, diversified, with a coverage verdict.

Dense search finds paraphrases, BM25 finds the rare exact words (names, numbers,
jargon) that small embedding models blur; reciprocal rank fusion needs no score
calibration between the two. Diversity then keeps one article from filling every
slot, and the coverage check decides whether the sources can answer at all. Besides
the hits, a retrieval carries a wider pool of chunks for the extractive answerer, which
picks sentences rather than chunks: the whole lead article for a specific question, the
opening and closing of every article reached for a broad one.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from app.chunk_filters import has_filters, matches
from app.coverage import asks_for_traits, split_question, topic_of, unknown_key_terms
from app.keyword_index import KeywordIndex
from app.keyword_index.memory import MemoryKeywordIndex
from app.models import Filters
from app.question import QuestionAnalysis, analyse, stems_of
from app.reading_lists import asks_for_reading, is_reading_list
from app.term_similarity import TermIds, jaccard_matrix
from app.terms import overlap, term_set, terms
from core.settings import Settings
from ingest.embed import Embedder
from ingest.records import Chunk
from ingest.store import VectorStore

RRF_K = 60  # the constant from Cormack et al. (2009); rank 1 in both lists scores 2/61
_MMR_LAMBDA = 0.75  # relevance vs. novelty; novelty only breaks near-ties
_NEAR_DUPLICATE = 0.8  # term Jaccard at which two chunks say the same thing (reposts)
# Dense similarity this far above min_retrieval_score needs no lexical confirmation.
_CONFIDENT_MARGIN = 0.15
# An article holding 6 of the 10 places in the dense and BM25 top 5s is the question's subject.
_FOCUS_TOP, _FOCUS_SHARE = 5, 6
# A query word in at most ~8% of chunks (log-rarity 0.5 of the maximum on the sample
# corpus) gives BM25 a full vote in the fusion; commoner words a proportionally smaller one.
_SPECIFIC_ENOUGH = 0.5
_BROAD_WEIGHT = 0.4  # below this BM25 weight the question is about the whole corpus
# ... and then BM25 gets no vote at all: its top chunks are the short ones that repeat the
# everywhere-words ("code review" in a link list, a table of contents), and even a 0.37
# vote lifted every one of them over a guide's better-matching sections (on the dev side
# of eval/datasets/corpus_questions.jsonl: "What do great code reviewers do?").
# A reading-list chunk ("Resources", "Further reading": app.reading_lists) keeps this share
# of its fused score: below any content chunk of similar rank, still in reach when an
# article has nothing else. 0.5 chosen by hand; 0.5 and 0.0 gave the same dev figures.
_READING_LIST_SHARE = 0.5
# The answerer's candidate pool: more chunks than the hits, since it picks sentences,
# not chunks: the whole of the lead article (the focus, else the top hit's; at most
# _LEAD_ARTICLE_CHUNKS), then more articles up to twice the hits. "How did the Portal
# team ...?" is answered step by step from one case study, whose steps rank unevenly.
_POOL_PER_URL, _LEAD_ARTICLE_CHUNKS = 2, 16
# A broad question's pool: every article a deeper dense list reaches (at most
# _POOL_ARTICLES, best first), each with its best chunk, its opening chunks and its
# closing one. The best sentences for "what do great staff engineers do?" ("Outcome
# owners watch the rollout themselves.") sit in articles whose chunks rank far below the
# role overviews', and an article states its point at its start and sums it up at its
# end (the lead bias summarisers rely on).
_BROAD_DENSE, _POOL_ARTICLES, _OPENING_CHUNKS, _CLOSING_CHUNKS = 128, 20, 2, 1


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with the evidence for ranking it."""

    chunk: Chunk
    score: float  # fused RRF score / best possible, 0..1
    dense: float | None  # cosine similarity; None when only BM25 found the chunk
    bm25: float  # 0.0 when BM25 did not match it


@dataclass
class Retrieval:
    """What retrieval found for one question, and whether that is enough to answer."""

    question: str  # the (condensed) question as asked
    query: str  # the part(s) actually searched: uncovered parts are left out
    query_vector: np.ndarray  # embedding of `query`, reused by the answerers
    hits: list[Hit]
    covered: bool
    uncovered: list[str] = field(default_factory=list)
    best_dense: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)
    # The question's words are everywhere ("what do great staff engineers do?"), or it asks
    # what people in a role do as a whole: every article may hold part of the answer.
    broad: bool = False
    # `hits` first, then more candidates for the extractive answerer (module docstring).
    pool: list[Hit] = field(default_factory=list)
    # The caller's explicit top_k: an answer cites at most this many chunks.
    max_chunks: int | None = None
    # What the searched question asks for (app.question), for the answerers.
    analysis: QuestionAnalysis | None = None


class HybridRetriever:
    """Dense + keyword retrieval over one store; call `refresh()` after an ingest.

    The keyword side is a `KeywordIndex` (app.keyword_index): bm25s over the store read
    into memory unless another is given.
    """

    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        settings: Settings,
        *,
        per_url: int = 2,
        keywords: KeywordIndex | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.per_url = per_url
        self._lock = threading.Lock()
        self._index: KeywordIndex = (keywords if keywords is not None
                                     else MemoryKeywordIndex.from_store(store))
        self._term_ids = TermIds()

    @property
    def keywords(self) -> KeywordIndex:
        """The keyword index queries use now."""
        return self._index

    def chunks(self) -> Iterable[Chunk]:
        """Every indexed chunk, as of the last refresh."""
        return self._index.chunks()

    def refresh(self) -> None:
        """Catch the keyword index up with the store; queries keep using the old one meanwhile."""
        with self._lock:  # one rebuild at a time; readers never wait
            self._index = self._index.refreshed()

    def retrieve(
        self, question: str, top_k: int | None = None, filters: Filters | None = None
    ) -> Retrieval:
        """The top chunks for `question`, and which of its parts the sources cover.

        An explicit `top_k` also caps how many chunks an answer may cite (`max_chunks`);
        which ones, from the wider pool, is the answerer's choice.
        """
        timings: dict[str, float] = {}
        clock = _Clock(timings)
        k = top_k or self.settings.top_k
        # Rebuilt by `refresh()` off the request path (app.refresher watches for changes).
        index = self._index
        filtered = has_filters(filters)
        # Over-fetch: fusion and diversity need spare candidates, filters need many more.
        pool = max(4 * k, 32)

        parts = split_question(question)
        vectors = self.embedder.embed([question, *parts] if len(parts) > 1 else [question])
        clock.lap("embed")

        covered, uncovered, best = list(range(len(parts))), [], 0.0
        query, vector = question, vectors[0]
        if len(parts) > 1:
            covered, uncovered, best = self._part_coverage(parts, vectors[1:])
            if covered and len(covered) < len(parts):
                query = "; ".join(parts[i] for i in covered)
                vector = _unit(np.mean([vectors[i + 1] for i in covered], axis=0))
            clock.lap("coverage")

        lexical_weight = min(1.0, index.specificity(terms(query)) / _SPECIFIC_ENOUGH)
        broad = lexical_weight < _BROAD_WEIGHT or asks_for_traits(query)
        depth = max(pool, _BROAD_DENSE) if broad else pool
        dense_n = max(25 * k, 200, depth) if filtered else depth
        dense = [(c, s) for c, s in self._dense_search(vector, dense_n) if matches(c, filters)]
        dense = dense[:depth]
        clock.lap("dense")

        lexical = self._keyword_search(index, terms(query), filters if filtered else None, pool)
        clock.lap("bm25")

        analysis: QuestionAnalysis | None = None
        if len(parts) == 1:
            # With filters, "covered" means covered by the sources the user allowed.
            best = max((s for _, s in dense), default=0.0)
            evidence = [c for c, _ in dense[:5]] + [c for c, _ in lexical[:5]]
            asked = analysis = analyse(question)  # one part: the query is the question
            missing = unaddressed(asked, evidence)
            unknown = unknown_key_terms(query, index.vocabulary)
            confident = best >= self.settings.min_retrieval_score + _CONFIDENT_MARGIN
            if (confident and missing and set(missing) <= set(unknown)
                    and len(missing) < len(asked.specific)):
                # "The Portal team at Netflix": the sources tell the Portal story, confidently,
                # and never mention Netflix; answered, with Netflix named as not covered.
                uncovered = list(missing)
            elif not self._supports(best, question, evidence) or missing or unknown:
                # The question's specific focus (a city, a visa, a salary figure) is what
                # it asks about: pages about its other words do not answer it.
                covered, uncovered = [], [topic_of(parts[0])]
        clock.lap("coverage")

        # A question about the whole corpus is ranked by meaning alone (see _BROAD_WEIGHT).
        vote = lexical_weight if lexical_weight >= _BROAD_WEIGHT else 0.0
        fused = self._fuse(dense, lexical, vote)
        if not asks_for_reading(query):
            fused = _demote_reading_lists(fused)
        # A broad question (its words are everywhere) gets one chunk per article: each
        # article makes its own point. A question about one article may take half the slots.
        focus = None if broad else _focus(dense, lexical)
        similar = self._similarity(fused, index.text_terms)  # shared by both passes
        hits = self._diversify(fused, k, focus, per_url=1 if broad else self.per_url,
                               similar=similar)
        if broad:
            pool_hits = _article_pool(fused, hits, index, filters)
        else:
            start = _with_lead_article(hits, fused, index, focus, filters)
            pool_hits = self._diversify(fused, len(start) + k, focus, per_url=_POOL_PER_URL,
                                        similar=similar, focus_cap=0, start=start)
        clock.lap("rank")
        timings["total"] = sum(timings.values())
        return Retrieval(
            question=question,
            query=query,
            query_vector=vector,
            hits=hits,
            covered=bool(covered) and bool(hits),
            uncovered=uncovered,
            best_dense=best,
            timings_ms=timings,
            broad=broad,
            pool=pool_hits,
            max_chunks=top_k,
            analysis=analysis or analyse(query),
        )

    def _dense_search(self, vector: np.ndarray, n: int) -> list[tuple[Chunk, float]]:
        """The store's n nearest chunks to `vector`, best first, with cosine similarity.

        The store returns ids and distances only; the chunks come from those the keyword
        index holds in memory (all of them for bm25s), and only the others are read from
        the store.
        """
        found = self.store.nearest(vector, n)
        known = self._index.held()
        missing = [cid for cid, _ in found if cid not in known]
        fetched = {c.id: c for c in self.store.get(missing)} if missing else {}
        return [(known.get(cid) or fetched[cid], score) for cid, score in found
                if cid in known or cid in fetched]

    def _keyword_search(
        self, index: KeywordIndex, query_terms: list[str], filters: Filters | None, n: int
    ) -> list[tuple[Chunk, float]]:
        """The keyword index's n best chunks for the terms that pass the filters."""
        return index.search(query_terms, n, filters)

    def _supports(self, best_dense: float, text: str, evidence: list[Chunk]) -> bool:
        """Whether the sources answer `text`, judged from its best dense similarity.

        Below `min_retrieval_score`: no. Well above it: yes. In between, where on the
        sample corpus in-scope questions ("What is an SLO?", 0.36) meet out-of-scope
        ones ("Recommend a good novel", 0.36), one chunk must also contain every
        content word of the question.
        """
        floor = self.settings.min_retrieval_score
        if best_dense < floor:
            return False
        if best_dense >= floor + _CONFIDENT_MARGIN:
            return True
        wanted = term_set(text)
        return any(overlap(wanted, _chunk_terms(c)) == 1.0 for c in evidence)

    def _part_coverage(
        self, parts: list[str], vectors: np.ndarray
    ) -> tuple[list[int], list[str], float]:
        """Indices of the parts the sources support, topics of the others, best similarity."""
        covered: list[int] = []
        uncovered: list[str] = []
        best = 0.0
        index = self._index
        for i, part in enumerate(parts):
            found = self._dense_search(vectors[i], 3)
            score = max((s for _, s in found), default=0.0)
            best = max(best, score)
            evidence = [c for c, _ in found]
            evidence += [c for c, _ in self._keyword_search(index, terms(part), None, 5)]
            if (self._supports(score, part, evidence[:3])
                    and not unknown_key_terms(part, index.vocabulary)
                    and not unaddressed(analyse(part), evidence)):
                covered.append(i)
            else:
                uncovered.append(topic_of(part))
        return covered, uncovered, best

    def _fuse(
        self,
        dense: list[tuple[Chunk, float]],
        lexical: list[tuple[Chunk, float]],
        lexical_weight: float = 1.0,
    ) -> list[Hit]:
        """Weighted reciprocal rank fusion, normalised so 1.0 = top of both lists.

        BM25's vote is weighted by how specific the question's words are (see
        `specificity`); dense retrieval always has a full vote. With no BM25 vote
        (weight 0) BM25 adds no chunks and only records its scores of the dense ones.
        """
        fused: dict[str, float] = {}
        chunks: dict[str, Chunk] = {}
        dense_of: dict[str, float] = {}
        bm25_of: dict[str, float] = {}
        for rank, (chunk, cosine) in enumerate(dense, 1):
            fused[chunk.id] = fused.get(chunk.id, 0.0) + 1.0 / (RRF_K + rank)
            chunks[chunk.id], dense_of[chunk.id] = chunk, cosine
        for rank, (chunk, score) in enumerate(lexical, 1):
            if not lexical_weight and chunk.id not in fused:
                continue
            fused[chunk.id] = fused.get(chunk.id, 0.0) + lexical_weight / (RRF_K + rank)
            chunks.setdefault(chunk.id, chunk)
            bm25_of[chunk.id] = score
        best = (1.0 + lexical_weight) / (RRF_K + 1)
        ranked = sorted(fused, key=lambda cid: fused[cid], reverse=True)
        return [
            Hit(chunks[cid], min(1.0, fused[cid] / best), dense_of.get(cid),
                bm25_of.get(cid, 0.0))
            for cid in ranked
        ]

    def _similarity(
        self, ranked: list[Hit], terms_of: dict[str, frozenset[str]] | None = None
    ) -> np.ndarray:
        """Term Jaccard between every two of `ranked`, from `terms_of` or the chunk text."""
        known = terms_of or {}
        ids = [self._term_ids.of(h.chunk.id,
                                 lambda h=h: known.get(h.chunk.id) or term_set(h.chunk.text))
               for h in ranked]
        return jaccard_matrix(ids)

    def _diversify(
        self,
        ranked: list[Hit],
        k: int,
        focus: str | None,
        per_url: int,
        *,
        similar: np.ndarray | None = None,
        focus_cap: int | None = None,
        start: Sequence[Hit] = (),
    ) -> list[Hit]:
        """Greedy MMR on term overlap, at most `per_url` chunks per URL, no near-duplicates.

        The `focus` article, the one both retrievers put at the top, may take up to half
        the slots (or `focus_cap`): "how did the Portal team ..." needs several chunks of
        one case study. `start` hits are kept first, in order, and count towards the caps.
        `similar` is `_similarity(ranked)`, when the caller has it already.
        """
        if not ranked:
            return list(start)
        similar = self._similarity(ranked) if similar is None else similar
        focus_cap = max(per_url, k // 2) if focus_cap is None else focus_cap
        urls: dict[str, int] = {}
        url_of = np.fromiter((urls.setdefault(h.chunk.url, len(urls)) for h in ranked),
                             dtype=np.int64, count=len(ranked))
        cap = np.full(len(urls), per_url)
        if focus in urls:
            cap[urls[focus]] = max(per_url, focus_cap)
        scores = np.fromiter((h.score for h in ranked), dtype=np.float64, count=len(ranked))
        # The same arithmetic, in the same order, as a scalar loop: ties go to the better rank.
        relevance = _MMR_LAMBDA * scores / ranked[0].score
        chosen: list[Hit] = []
        taken = np.zeros(len(urls), dtype=np.int64)
        similarity = np.zeros(len(ranked))  # to the most similar chosen chunk
        open_ = np.ones(len(ranked), dtype=bool)
        position = {h.chunk.id: i for i, h in enumerate(ranked)}

        def take(i: int | None, hit: Hit) -> None:
            chosen.append(hit)
            if i is None:  # not in `ranked`: counts towards its URL's cap, if ranked has it
                if hit.chunk.url in urls:
                    taken[urls[hit.chunk.url]] += 1
                return
            taken[url_of[i]] += 1
            open_[i] = False
            np.maximum(similarity, similar[i], out=similarity)

        for hit in start:
            take(position.get(hit.chunk.id), hit)
        while len(chosen) < k:
            allowed = open_ & (taken[url_of] < cap[url_of]) & (similarity < _NEAR_DUPLICATE)
            if not allowed.any():
                break
            value = relevance - (1 - _MMR_LAMBDA) * similarity
            best = int(np.argmax(np.where(allowed, value, -np.inf)))
            take(best, ranked[best])
        return chosen


def _demote_reading_lists(fused: list[Hit]) -> list[Hit]:
    """`fused` with reading-list chunks' scores cut to `_READING_LIST_SHARE`, re-ranked."""
    if not any(is_reading_list(h.chunk) for h in fused):
        return fused
    demoted = [replace(h, score=h.score * _READING_LIST_SHARE) if is_reading_list(h.chunk)
               else h for h in fused]
    return sorted(demoted, key=lambda h: h.score, reverse=True)


def _article_pool(
    fused: list[Hit], hits: list[Hit], index: KeywordIndex, filters: Filters | None
) -> list[Hit]:
    """`hits`, then for each article in `fused` (best first, at most `_POOL_ARTICLES`) its
    best chunk, its opening and its closing chunks. A chunk fusion did not rank carries its
    article's best score: it speaks for the article."""
    pool = list(hits)
    seen = {h.chunk.id for h in hits}
    ranked = {h.chunk.id: h for h in fused}
    best: dict[str, Hit] = {}
    for hit in fused:
        best.setdefault(hit.chunk.url, hit)
    for url, top in list(best.items())[:_POOL_ARTICLES]:
        chunks = index.article(url)
        ends = chunks[:_OPENING_CHUNKS] + chunks[_OPENING_CHUNKS:][-_CLOSING_CHUNKS:]
        for chunk in [top.chunk, *(c for c in ends if matches(c, filters))]:
            if chunk.id in seen:
                continue
            seen.add(chunk.id)
            pool.append(ranked.get(chunk.id) or Hit(chunk, top.score, None, 0.0))
    return pool


def _with_lead_article(
    hits: list[Hit], fused: list[Hit], index: KeywordIndex, focus: str | None,
    filters: Filters | None,
) -> list[Hit]:
    """`hits`, then the other chunks of the lead article (the focus, else the top hit's),
    in reading order; a chunk fusion did not rank carries the article's lowest score."""
    url = focus or (hits[0].chunk.url if hits else None)
    if url is None:
        return list(hits)
    ranked = {h.chunk.id: h for h in fused if h.chunk.url == url}
    floor = min((h.score for h in ranked.values()), default=0.0)
    seen = {h.chunk.id for h in hits}
    extra = [ranked.get(c.id) or Hit(c, floor, None, 0.0)
             for c in index.article(url)[:_LEAD_ARTICLE_CHUNKS]
             if c.id not in seen and matches(c, filters)]
    return [*hits, *extra]


def _focus(dense: list[tuple[Chunk, float]], lexical: list[tuple[Chunk, float]]) -> str | None:
    """The URL holding most of both top-5 lists (6 of 10 slots), if the question is about one."""
    counts = Counter(c.url for c, _ in dense[:_FOCUS_TOP]) + Counter(
        c.url for c, _ in lexical[:_FOCUS_TOP]
    )
    if not counts:
        return None
    url, n = counts.most_common(1)[0]
    return url if n >= _FOCUS_SHARE else None


def _chunk_terms(chunk: Chunk) -> frozenset[str]:
    """A chunk's terms including its section headings, which often name its topic."""
    return term_set(chunk.text + " " + " ".join(chunk.heading_path))


@lru_cache(maxsize=8192)
def named_terms(chunk: Chunk) -> frozenset[str]:
    """The terms a chunk names itself by: its text, headings, page title and URL.

    A handbook's pages often never write the company's name in their text, but its URL
    does ("github.com/artsy/README/.../on-call-incident-review.md" names Artsy).
    """
    url_words = re.sub(r"[^0-9A-Za-z]+", " ", chunk.url)
    return _chunk_terms(chunk) | term_set(chunk.title) | term_set(url_words)


# A money amount: "$120k", "€85,000", "£60k", "90k a year". A salary question is
# answered by a figure, not by a page that mentions pay.
_MONEY_FIGURE = re.compile(r"[$€£]\s?\d|\b\d+(?:[.,]\d+)?\s?k\b|\b\d{2,3}(?:,\d{3})+\b")


def unaddressed(analysis: QuestionAnalysis, evidence: Sequence[Chunk]) -> list[str]:
    """The question's specific focus words (names, places, figures, its money or visa
    object) that no single evidence chunk mentions together with the others.

    Together: "salary in Berlin" is not addressed by one page naming Berlin's office and
    another mentioning salaries. Empty when the question has no specific focus.
    """
    wanted = [(item, stems_of(item)) for item in analysis.specific]
    wanted = [(item, stems) for item, stems in wanted if stems]
    if not wanted and not analysis.asks_money:
        return []
    best_missing: list[str] | None = None
    for chunk in evidence:
        have = named_terms(chunk)
        missing = [item for item, stems in wanted if not stems <= have]
        if analysis.asks_money and not _MONEY_FIGURE.search(chunk.text):
            missing.append("the amount")
        if best_missing is None or len(missing) < len(best_missing):
            best_missing = missing
        if not missing:
            return []
    return best_missing if best_missing is not None else [item for item, _ in wanted]


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


class _Clock:
    """Per-stage wall times in milliseconds."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + (now - self.last) * 1000
        self.last = now
