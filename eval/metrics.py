"""Eval metrics as pure functions: retrieval, ALCE-style citation quality, answers, the checker.

Nothing here does I/O or calls a model: judges fill in `SentenceJudgement`s, and these
functions only count, which keeps every figure in the report reproducible by hand.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

CitationId = int | str

# --- retrieval


def url_matches(url: str, gold: str) -> bool:
    """Whether `url` is the page `gold` names: gold is a site-relative path matched as a suffix.

    The match is on whole path segments ("a/b.html" matches ".../x/a/b.html", not
    ".../xa/b.html"), ignoring scheme, host, query and fragment, so any mount point works.
    A gold given as a full URL is reduced to its path the same way. Both are compared
    percent-decoded: a file named "Help!-I'm-becoming-Post-Junior.md" is stored as
    ".../Help%21-I%27m-becoming-Post-Junior.md", and a dataset names it as it is named.
    """
    path, gold_path = _path(url).rstrip("/"), _path(gold).strip("/")
    return path == gold_path or path.endswith("/" + gold_path)


def _path(url: str) -> str:
    """The decoded path of a URL, or of a bare path with any query or fragment cut off."""
    return unquote(urlsplit(url).path if "://" in url else url.split("#")[0].split("?")[0])


def unique_urls(urls: Iterable[str]) -> list[str]:
    """Ranked URLs with repeats removed (several chunks of one page count as one hit)."""
    return list(dict.fromkeys(u.split("#")[0] for u in urls))


def _relevance(urls: Sequence[str], gold: Sequence[str]) -> list[bool]:
    return [any(url_matches(u, g) for g in gold) for u in urls]


def recall_at_k(retrieved: Sequence[str], gold: Sequence[str], k: int) -> float:
    """Share of gold pages among the first k distinct retrieved pages."""
    if not gold:
        return 0.0
    top = unique_urls(retrieved)[:k]
    found = sum(1 for g in gold if any(url_matches(u, g) for u in top))
    return found / len(gold)


def reciprocal_rank(retrieved: Sequence[str], gold: Sequence[str]) -> float:
    """1/rank of the first gold page among distinct retrieved pages, 0 if none."""
    for rank, hit in enumerate(_relevance(unique_urls(retrieved), gold), start=1):
        if hit:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(retrieved: Sequence[str], gold: Sequence[str], k: int) -> float:
    """Binary-relevance nDCG@k over distinct pages; the ideal ranks all gold pages first."""
    if not gold:
        return 0.0
    hits = _relevance(unique_urls(retrieved)[:k], gold)
    dcg = sum(1.0 / math.log2(rank + 1) for rank, hit in enumerate(hits, start=1) if hit)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return dcg / ideal if ideal else 0.0


# --- citations (ALCE)


@dataclass(frozen=True)
class SentenceJudgement:
    """What a judge found for one sentence of an answer; the input of the citation metrics.

    Support scores are 1 (supported), 0.5 (partial) or 0 (unsupported).
    `invalid` are cited ids that name no source, `empty` ids whose source has no text;
    `valid` are the rest, the citations with evidence behind them.
    `alone[c]` is the support of valid citation c by itself, `without[c]` the support of
    the other valid citations when the sentence has more than one. `supported_elsewhere`
    says whether some retrieved source the sentence does not cite supports it (None when
    not asked, e.g. because the cited sources already do).
    """

    text: str
    cited: tuple[CitationId, ...] = ()
    invalid: tuple[CitationId, ...] = ()
    empty: tuple[CitationId, ...] = ()
    support: float = 0.0
    alone: Mapping[CitationId, float] = field(default_factory=dict)
    without: Mapping[CitationId, float] = field(default_factory=dict)
    supported_elsewhere: bool | None = None
    is_claim: bool = True

    @property
    def valid(self) -> tuple[CitationId, ...]:
        return tuple(c for c in self.cited if c not in self.invalid and c not in self.empty)

    @property
    def score(self) -> float:
        """The support that counts: none when any cited id names no source (as in ALCE),
        or when no cited source has text."""
        return self.support if self.valid and not self.invalid else 0.0

    @property
    def supported(self) -> bool:
        return self.score >= 1.0


def citation_relevance(s: SentenceJudgement, *, partial: bool = False) -> dict[CitationId, float]:
    """ALCE relevance of each citation of a sentence: 1 relevant, 0 irrelevant.

    A citation is irrelevant when it is invalid or empty (its source has no text, so it
    supports nothing and removing it changes nothing), or when it neither supports the sentence
    alone nor is needed (the others still support it without it). When the citations
    together do not support the sentence, none of them is relevant, as in ALCE. With
    `partial`, a citation that only partly supports the sentence on its own counts 0.5.
    """
    out: dict[CitationId, float] = {c: 0.0 for c in s.cited}
    valid = s.valid
    if not s.supported:
        if partial and s.score > 0:
            for c in valid:
                out[c] = 0.5 if s.alone.get(c, 0.0) > 0 else 0.0
        return out
    for c in valid:
        if len(valid) == 1 or s.alone.get(c, 0.0) >= 1.0:
            out[c] = 1.0
        elif s.without.get(c, 0.0) < 1.0:
            out[c] = 1.0  # needed: the rest do not support the sentence without it
        elif partial and s.alone.get(c, 0.0) > 0:
            out[c] = 0.5
    return out


@dataclass(frozen=True)
class AnswerCitationScores:
    """Citation quality of one answer, plus the counts the micro averages are built from."""

    recall: float
    precision: float
    partial_recall: float
    partial_precision: float
    n_claims: int
    n_supported: int
    support_sum: float
    n_citations: int
    relevant_sum: float
    partial_relevant_sum: float
    n_uncited: int
    n_invalid: int
    n_empty: int
    n_cited_claims: int
    n_misattributed: int
    n_unsupported_anywhere: int


def answer_citation_scores(sentences: Sequence[SentenceJudgement]) -> AnswerCitationScores:
    """ALCE citation recall and precision of one answer over its claims.

    Recall: share of claims whose citations together support them (uncited claims count 0).
    Precision: share of citations that are relevant. Both are 1.0 when there is nothing to
    count, so an answer without claims (a refusal) neither helps nor hurts macro averages
    in a misleading way: callers skip such answers for macro figures.
    """
    claims = [s for s in sentences if s.is_claim]
    n_claims = len(claims)
    supported = sum(1 for s in claims if s.supported)
    support_sum = sum(s.score for s in claims)
    relevance = [citation_relevance(s) for s in claims]
    partial_relevance = [citation_relevance(s, partial=True) for s in claims]
    n_citations = sum(len(r) for r in relevance)
    relevant = sum(sum(r.values()) for r in relevance)
    partial_relevant = sum(sum(r.values()) for r in partial_relevance)
    misattributed = sum(
        1 for s in claims if s.cited and not s.supported and s.supported_elsewhere is True
    )
    anywhere = sum(1 for s in claims if not s.supported and s.supported_elsewhere is False)
    return AnswerCitationScores(
        recall=supported / n_claims if n_claims else 1.0,
        precision=relevant / n_citations if n_citations else 1.0,
        partial_recall=support_sum / n_claims if n_claims else 1.0,
        partial_precision=partial_relevant / n_citations if n_citations else 1.0,
        n_claims=n_claims,
        n_supported=supported,
        support_sum=support_sum,
        n_citations=n_citations,
        relevant_sum=relevant,
        partial_relevant_sum=partial_relevant,
        n_uncited=sum(1 for s in claims if not s.cited),
        n_invalid=sum(len(s.invalid) for s in claims),
        n_empty=sum(len(s.empty) for s in claims),
        n_cited_claims=sum(1 for s in claims if s.cited),
        n_misattributed=misattributed,
        n_unsupported_anywhere=anywhere,
    )


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def aggregate_citation_scores(answers: Sequence[AnswerCitationScores]) -> dict[str, float | None]:
    """Macro (mean over answers with claims) and micro (pooled over sentences) figures.

    Rates are over claims: uncited, misattributed (cited, not supported by its citations,
    but a retrieved source it does not cite supports it), unsupported anywhere (no
    retrieved source supports it, cited or not), and the share of claims with any
    citation; the invalid-citation rate is over citations.
    """
    with_claims = [a for a in answers if a.n_claims]
    with_citations = [a for a in answers if a.n_citations]
    claims = sum(a.n_claims for a in answers)
    citations = sum(a.n_citations for a in answers)

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    return {
        "recall_macro": mean([a.recall for a in with_claims]),
        "precision_macro": mean([a.precision for a in with_citations]),
        "partial_recall_macro": mean([a.partial_recall for a in with_claims]),
        "partial_precision_macro": mean([a.partial_precision for a in with_citations]),
        "recall_micro": _ratio(sum(a.n_supported for a in answers), claims),
        "precision_micro": _ratio(sum(a.relevant_sum for a in answers), citations),
        "partial_recall_micro": _ratio(sum(a.support_sum for a in answers), claims),
        "partial_precision_micro": _ratio(sum(a.partial_relevant_sum for a in answers), citations),
        "uncited_rate": _ratio(sum(a.n_uncited for a in answers), claims),
        "cited_share": _ratio(sum(a.n_cited_claims for a in answers), claims),
        "invalid_citation_rate": _ratio(sum(a.n_invalid for a in answers), citations),
        "empty_citation_rate": _ratio(sum(a.n_empty for a in answers), citations),
        "misattribution_rate": _ratio(sum(a.n_misattributed for a in answers), claims),
        "unsupported_anywhere_rate": _ratio(sum(a.n_unsupported_anywhere for a in answers), claims),
    }


# --- answers

_SPACE = re.compile(r"\s+")


def normalize_space(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def quote_found(quote: str, source_text: str) -> bool:
    """Whether the quote occurs verbatim in the source, up to runs of whitespace.

    Whitespace is the one liberty: extraction joins blocks with newlines that an answer
    renders as spaces, and no reader can tell the two apart.
    """
    if not quote.strip():
        return False
    return quote in source_text or normalize_space(quote) in normalize_space(source_text)


def key_point_hit(answer: str, key_point: str) -> bool:
    """Whether the answer contains the key point or one of its "|"-separated alternatives.

    Case-insensitive, starting at a word boundary ("5%" is not found in "15%"); an
    alternative ending in a digit must also end at one ("3" is not found in "30"), while
    one ending in letters may be a stem ("hypothes" finds "hypotheses").
    """
    text = normalize_space(answer).lower()
    for alt in key_point.split("|"):
        alt = normalize_space(alt).lower()
        if not alt:
            continue
        end = r"(?![\d])" if alt[-1].isdigit() else ""
        if re.search(rf"(?<![\w.$]){re.escape(alt)}{end}", text):
            return True
    return False


def key_point_coverage(answer: str, key_points: Sequence[str]) -> float | None:
    if not key_points:
        return None
    return sum(key_point_hit(answer, kp) for kp in key_points) / len(key_points)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def latency_summary(ms: Sequence[float]) -> dict[str, float | None]:
    return {"median_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95)}


def mean_or_none(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


# --- the checker


@dataclass(frozen=True)
class BinaryScores:
    """Scores for catching unsupported sentences: the positive class is "unsupported"."""

    n: int
    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def accuracy(self) -> float | None:
        return _ratio(self.tp + self.tn, self.n)

    @property
    def precision(self) -> float | None:
        """Of the sentences flagged unsupported, the share that really are."""
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        """Of the unsupported sentences, the share flagged (true-positive rate)."""
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def specificity(self) -> float | None:
        """Of the supported sentences, the share let through."""
        return _ratio(self.tn, self.tn + self.fp)

    @property
    def balanced_accuracy(self) -> float | None:
        """Mean of recall and specificity; just the one present when a class is absent."""
        parts = [v for v in (self.recall, self.specificity) if v is not None]
        return sum(parts) / len(parts) if parts else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None
        return 2 * p * r / (p + r)

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "n": self.n, "tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn,
            "accuracy": self.accuracy, "balanced_accuracy": self.balanced_accuracy,
            "precision": self.precision, "recall": self.recall,
            "specificity": self.specificity, "f1": self.f1,
        }  # fmt: skip


def binary_scores(supported: Sequence[bool], predicted_supported: Sequence[bool]) -> BinaryScores:
    """Confusion counts with "unsupported" as the positive class."""
    if len(supported) != len(predicted_supported):
        raise ValueError("labels and predictions differ in length")
    tp = fp = tn = fn = 0
    for gold, pred in zip(supported, predicted_supported, strict=True):
        if not gold and not pred:
            tp += 1
        elif gold and not pred:
            fp += 1
        elif gold and pred:
            tn += 1
        else:
            fn += 1
    return BinaryScores(len(supported), tp, fp, tn, fn)


def scores_by_kind(
    kinds: Sequence[str], supported: Sequence[bool], predicted_supported: Sequence[bool]
) -> dict[str, dict[str, float | int | None]]:
    """Per-kind accuracy, and balanced accuracy of each kind against the opposite class.

    A kind holds one class only (all faithful cases are supported, all number changes
    are not), so its own balanced accuracy would just be its accuracy. Instead each
    negative kind is scored together with all supported cases, and each positive kind
    together with all unsupported ones: "how well does the checker tell a changed number
    from a supported sentence".
    """
    out: dict[str, dict[str, float | int | None]] = {}
    rows = list(zip(kinds, supported, predicted_supported, strict=True))
    for kind in sorted(set(kinds)):
        own = [(g, p) for k, g, p in rows if k == kind]
        own_scores = binary_scores([g for g, _ in own], [p for _, p in own])
        kind_supported = all(g for g, _ in own)
        versus = [(g, p) for k, g, p in rows if k != kind and g != kind_supported]
        pair = own + versus
        pair_scores = binary_scores([g for g, _ in pair], [p for _, p in pair])
        out[kind] = {
            "n": len(own),
            "supported": kind_supported,
            "accuracy": own_scores.accuracy,
            "balanced_accuracy": pair_scores.balanced_accuracy,
        }
    return out


def roc_auc(positive: Sequence[bool], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve: the chance a random positive outscores a random negative.

    Computed from average ranks (Mann-Whitney U), so ties count one half; None when one
    class is absent. Callers pass "how unsupported" scores with unsupported as positive.
    """
    if len(positive) != len(scores):
        raise ValueError("labels and scores differ in length")
    n_pos = sum(1 for p in positive if p)
    n_neg = len(positive) - n_pos
    if not n_pos or not n_neg:
        return None
    ranks = average_ranks(scores)
    rank_sum = sum(r for r, p in zip(ranks, positive, strict=True) if p)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks with ties given the mean of the ranks they span."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson correlation; None with fewer than 3 pairs or when either side is constant."""
    if len(xs) != len(ys):
        raise ValueError("the two series differ in length")
    if len(xs) < 3:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman rank correlation: Pearson on average ranks."""
    return pearson(average_ranks(xs), average_ranks(ys))
