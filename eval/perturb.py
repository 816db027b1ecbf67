"""Build a checker set from any corpus: faithful sentences, light paraphrases, hard negatives.

Every case starts from a real sentence of a real passage. Supported cases keep it
verbatim or paraphrase it with meaning-preserving rules; unsupported ones change it by
one systematic perturbation (a number, a negation, an entity, the cited source, an
appended clause). Each perturbation returns the new sentence and what it changed, so a
reviewer can audit a label in seconds, and everything is drawn from one seeded RNG, so
the same corpus and seed always give the same file.

The perturbations are written independently of the checker (no shared regexes or
feature code), so the checker is not graded on an exam it wrote itself.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from app.terms import STOPWORDS, term_set, terms
from eval.corpus import Corpus, Passage
from eval.datasets import CheckerCase, CheckerSource
from ingest.chunk import split_sentences


@dataclass(frozen=True)
class Change:
    """A perturbed sentence and a description of exactly what was changed."""

    sentence: str
    description: str


# --- helpers


def _coverage(sentence: str, text: str) -> float:
    """Share of the sentence's content terms that occur in `text` (a cheap support proxy)."""
    wanted = term_set(sentence)
    return len(wanted & term_set(text)) / len(wanted) if wanted else 1.0


def _match_case(template: str, word: str) -> str:
    if template[:1].isupper() and not word[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _lower_first(text: str, lowercase_ok: Callable[[str], bool]) -> str:
    """Lower-case the first word when it is an ordinary word, never a name like "Meta"."""
    first = text.split(" ", 1)[0]
    if first and lowercase_ok(first):
        return first[:1].lower() + text[1:]
    return text


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _replace_span(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


# --- number changes

_FIGURE = re.compile(
    r"(?<![\w./:–-])(?P<cur>\$)?(?P<num>\d+(?:\.\d+)?)(?P<unit>%|[KMB](?![\w])| percent\b)?"
    r"(?![\w:–-]|\.\d)"
)
_WORD_FIGURES = {
    "two": "four", "three": "seven", "four": "nine", "five": "eight", "six": "twelve",
    "seven": "three", "eight": "two", "nine": "four", "ten": "twenty", "fifteen": "fifty",
    "twenty": "forty", "thirty": "ninety", "forty": "ten", "fifty": "five",
    "hundred": "thousand", "hundreds": "dozens",
}  # fmt: skip
_WORD_FIGURE = re.compile(r"\b(" + "|".join(_WORD_FIGURES) + r")\b", re.IGNORECASE)


def _changed_value(num: str, unit: str | None, currency: bool) -> str:
    value = float(num)
    integer = value.is_integer()
    if unit in ("%", " percent"):
        # 5% -> 50%, 30% -> 60%, 50% -> 25%: always a clearly different, plausible share.
        if value < 10:
            new = value * 10
        elif value * 2 <= 90:
            new = value * 2
        else:
            new = value / 2
    elif currency or unit in ("K", "M", "B"):
        new = value * 10  # $10M -> $100M
    else:
        new = value + 4 if value < 10 else value * 2  # 3 -> 7, 400 -> 800
    return str(int(new)) if integer and float(new).is_integer() else f"{new:g}"


def change_number(sentence: str, rng: random.Random) -> Change | None:
    """Change one figure: a digit (5% -> 50%, $10M -> $100M, 3 -> 7) or a number word."""
    options: list[tuple[int, int, str, int, int]] = []
    for m in _FIGURE.finditer(sentence):
        num = m.group("num")
        if len(num) == 4 and num.startswith(("19", "20")):
            continue  # a year, not a quantity
        new_num = _changed_value(num, m.group("unit"), bool(m.group("cur")))
        start, end = m.span("num")
        options.append((start, end, new_num, m.start(), m.end()))
    for m in _WORD_FIGURE.finditer(sentence):
        word = m.group(1)
        new_word = _match_case(word, _WORD_FIGURES[word.lower()])
        options.append((m.start(), m.end(), new_word, m.start(), m.end()))
    if not options:
        return None
    # A figure already in the sentence would make "six to twelve" into "twelve to twelve".
    options = [o for o in options if not re.search(rf"\b{re.escape(o[2])}\b", sentence)]
    if not options:
        return None
    start, end, new, whole_start, whole_end = rng.choice(options)
    changed = _replace_span(sentence, start, end, new)
    shift = len(new) - (end - start)
    return Change(changed, f"number: {sentence[whole_start:whole_end]!r} -> "
                           f"{changed[whole_start:whole_end + shift]!r}")


# --- negation

_AUX = (
    "is|are|was|were|can|could|will|would|should|must|may|might|does|do|did|has|have|had"
)
_NEGATED_AUX = re.compile(rf"\b({_AUX})\s+not\b", re.IGNORECASE)
_CONTRACTED = re.compile(
    r"\b(do|does|did|is|are|was|were|has|have|had|could|would|should|ca|wo)n[’']t\b",
    re.IGNORECASE,
)
_CANNOT = re.compile(r"\bcannot\b", re.IGNORECASE)
_NEVER = re.compile(r"\bnever\s+", re.IGNORECASE)
_INSERTABLE_AUX = re.compile(
    r"\b(is|are|was|were|can|will|should|must|would|could|may|might)\b(?!\s+not\b|n[’']t)",
    re.IGNORECASE,
)
_OTHER_NEGATIVES = re.compile(
    r"\b(no|nobody|nothing|none|neither|nor|rarely|seldom|hardly|without|few)\b", re.IGNORECASE
)
_PAST_VERB = re.compile(r"(?<=[a-z,] )([a-z]{3,}ed)\b")
# -ed words that are adjectives or nouns far more often than verbs in this kind of prose.
_NOT_VERBS = frozenset(
    [
        "based", "detailed", "limited", "advanced", "experienced", "dedicated", "related",
        "shared", "automated", "interested", "supposed", "hundred", "indeed", "need", "speed",
        "feed", "seed", "red", "bed", "shed", "used", "concerned", "skilled", "talented",
        "structured", "distributed", "uncompressed", "undocumented", "documented", "needed",
        "unplanned", "committed", "expected", "ranked", "sized", "varied",
    ]
)
_NO_NEVER_AFTER = frozenset(
    [
        "was", "were", "is", "are", "be", "been", "being", "has", "have", "had", "the", "a", "an",
        "and", "or", "of", "to", "by", "for", "with", "that", "this", "their", "its", "our",
        "your",
    ]
)


def flip_negation(sentence: str, rng: random.Random) -> Change | None:
    """Remove a negation ("does not create" -> "does create"), or add one ("is" -> "is not")."""
    removals: list[Change] = []
    for m in _NEGATED_AUX.finditer(sentence):
        removals.append(Change(_replace_span(sentence, m.start(), m.end(), m.group(1)),
                               f"negation: removed 'not' from {m.group(0)!r}"))
    for m in _CONTRACTED.finditer(sentence):
        aux = {"ca": "can", "wo": "will"}.get(m.group(1).lower(), m.group(1))
        removals.append(Change(_replace_span(sentence, m.start(), m.end(), aux),
                               f"negation: {m.group(0)!r} -> {aux!r}"))
    for m in _CANNOT.finditer(sentence):
        removals.append(Change(_replace_span(sentence, m.start(), m.end(),
                                             _match_case(m.group(0), "can")),
                               "negation: 'cannot' -> 'can'"))
    for m in _NEVER.finditer(sentence):
        removals.append(Change(_upper_first(_replace_span(sentence, m.start(), m.end(), ""))
                               if m.start() == 0 else
                               _replace_span(sentence, m.start(), m.end(), ""),
                               "negation: removed 'never'"))
    if removals:
        return rng.choice(removals)
    if _OTHER_NEGATIVES.search(sentence):
        return None  # "no team never wanted", "are not rarely": double negatives read as noise
    if m := _INSERTABLE_AUX.search(sentence):
        new = _replace_span(sentence, m.start(), m.end(), f"{m.group(1)} not")
        return Change(new, f"negation: inserted 'not' after {m.group(1)!r}")
    for m in _PAST_VERB.finditer(sentence):
        before = sentence[: m.start()].split()
        if m.group(1) in _NOT_VERBS or not before or before[-1].lower() in _NO_NEVER_AFTER:
            continue
        new = _replace_span(sentence, m.start(), m.start(), "never ")
        return Change(new, f"negation: inserted 'never' before {m.group(1)!r}")
    return None


# --- entity swaps

# Names that a careers corpus uses for the same slot: swapping within a group keeps the
# sentence fluent while making it false. Only members the corpus mentions are used.
ENTITY_GROUPS: tuple[tuple[str, ...], ...] = (
    ("Meta", "Google", "Instagram", "Robinhood", "Amazon", "Microsoft", "Stripe", "Netflix"),
    ("L3", "L4", "L5", "L6", "L7", "L8"),
    ("Portal", "Switchyard", "Tidepool", "Cachescope", "SizeBot", "CallPulse"),
    ("staff engineer", "principal engineer", "senior engineer", "junior engineer"),
    ("Fixer", "Specialist", "Product Hybrid"),
    ("tech lead", "architect", "solver", "right hand"),
    ("Android", "iOS", "web"),
)
_PROPER = re.compile(r"(?<=[a-z,;] )([A-Z][a-zA-Z]+(?:[A-Z][a-z]+)*)\b")


def entity_groups_for(corpus_text: str, extra_min_count: int = 3) -> list[tuple[str, ...]]:
    """The built-in groups cut to names the corpus mentions, or else a group of its own names.

    The corpus's own names are capitalised words seen mid-sentence at least
    `extra_min_count` times and never in lower case: a fallback that lets the generator
    make entity swaps for a corpus about other companies, used only when fewer than two
    built-in groups apply (it also catches acronyms, which make clumsier swaps).
    """
    lowered = corpus_text.lower()
    groups: list[tuple[str, ...]] = []
    known: set[str] = set()
    for group in ENTITY_GROUPS:
        present = tuple(
            name for name in group
            if re.search(rf"\b{re.escape(name.lower())}\b", lowered)
            and (name.islower() or re.search(rf"\b{re.escape(name)}\b", corpus_text))
        )
        known.update(n.lower() for n in group)
        if len(present) >= 2:
            groups.append(present)
    counts: dict[str, int] = {}
    for m in _PROPER.finditer(corpus_text):
        counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    own = tuple(
        sorted(
            name for name, n in counts.items()
            if n >= extra_min_count and name.lower() not in known
            and not re.search(rf"\b{re.escape(name.lower())}\b", corpus_text)
        )
    )
    if len(groups) < 2 and len(own) >= 2:
        groups.append(own)
    return groups


def swap_entity(
    sentence: str, rng: random.Random, groups: Sequence[tuple[str, ...]], context: str = ""
) -> Change | None:
    """Swap one name for another of its group (Meta -> Google, L4 -> L5, staff -> principal).

    The replacement must not occur in `context` (the cited passage): "At Meta and Google"
    swapped to "At Google and Google" would still be true.
    """
    options: list[tuple[int, int, str, str]] = []
    lowered_context = context.lower()
    for group in groups:
        for name in group:
            flags = re.IGNORECASE if name.islower() else 0
            for m in re.finditer(rf"\b{re.escape(name)}\b", sentence, flags):
                for other in group:
                    if other.lower() == name.lower() or other.lower() in lowered_context:
                        continue
                    options.append((m.start(), m.end(), m.group(0), _match_case(m.group(0), other)))
    if not options:
        return None
    start, end, old, new = rng.choice(options)
    changed = _replace_span(sentence, start, end, new)
    # Keep the article agreeing with the new name: "a tech lead" -> "an architect".
    article = re.search(r"\b(an?) $", changed[:start], re.IGNORECASE)
    if article:
        wanted = "an" if new[:1].lower() in "aeiou" else "a"
        a_start, a_end = article.span(1)
        changed = _replace_span(changed, a_start, a_end, _match_case(article.group(1), wanted))
    return Change(changed, f"entity: {old!r} -> {new!r}")


# --- paraphrases (meaning-preserving)

HEDGES = ("usually", "typically", "generally", "often", "probably", "really", "actually",
          "simply", "quite")  # fmt: skip
SYNONYMS = {
    "reduced": "cut", "cut": "reduced", "fell by": "dropped by", "dropped by": "fell by",
    "large": "big", "big": "large", "important": "significant", "problem": "issue",
    "problems": "issues", "issues": "problems", "hard": "difficult", "difficult": "hard",
    "whole": "entire", "entire": "whole", "choose": "pick", "rarely": "seldom",
    "often": "frequently", "quickly": "rapidly", "simple": "straightforward",
    "helps": "assists", "shows": "demonstrates", "showed": "demonstrated",
    "built": "created", "fixed": "resolved", "fixing": "resolving", "mostly": "largely",
    "began": "started", "start": "begin",
    "decide": "determine", "decides": "determines", "avoid": "steer clear of",
    "goal": "aim", "slowly": "gradually",
}  # fmt: skip
_LEADING_CLAUSE = re.compile(
    r"^(When|If|Because|Although|Once|Before|After|While|Unless) ([^,]{6,}), ([^,].{8,}?)([.!?])$"
)
# "long after", "right before", "only if": the word belongs to the clause, so no reordering.
_BOUND_TO_CONJUNCTION = frozenset(
    [
        "long", "right", "just", "shortly", "soon", "even", "only", "well", "immediately",
        "directly", "exactly", "especially", "particularly", "mainly", "mostly", "except", "ago",
        "later", "earlier", "days", "weeks", "months", "years",
    ]
)
_TRAILING_CLAUSE = re.compile(
    r"^([^,]{8,}?),? (because|when|before|after|if|unless|while) ([^,]{6,}?)([.!?])$"
)


def drop_hedge(sentence: str, rng: random.Random) -> Change | None:
    found = [
        m for h in HEDGES for m in re.finditer(rf"(?<![\w-]){h}(?![\w-]) ?", sentence,
                                               re.IGNORECASE)
    ]
    if not found:
        return None
    m = rng.choice(found)
    new = _replace_span(sentence, m.start(), m.end(), "")
    if m.start() == 0:
        new = _upper_first(new)
    return Change(new, f"paraphrase: dropped hedge {m.group(0).strip()!r}")


# Approximations are synonyms only in front of a figure ("about 400"), not "about the team".
APPROXIMATIONS = {"about": "around", "roughly": "approximately", "around": "about"}


def swap_synonym(sentence: str, rng: random.Random) -> Change | None:
    found = [
        (m, word) for word in SYNONYMS
        for m in re.finditer(rf"(?<![\w-]){word}(?![\w-])", sentence, re.IGNORECASE)
    ] + [
        (m, word) for word in APPROXIMATIONS
        for m in re.finditer(rf"\b{word}\b(?= (?:\$?\d|{_WORD_FIGURE.pattern}))", sentence,
                             re.IGNORECASE)
    ]
    if not found:
        return None
    m, word = rng.choice(found)
    new_word = _match_case(m.group(0), SYNONYMS.get(word) or APPROXIMATIONS[word])
    return Change(_replace_span(sentence, m.start(), m.end(), new_word),
                  f"paraphrase: synonym {m.group(0)!r} -> {new_word!r}")


def reorder_clauses(
    sentence: str, rng: random.Random, lowercase_ok: Callable[[str], bool]
) -> Change | None:
    """Move a subordinate clause to the other end of the sentence ("When A, B." -> "B when A.")."""
    del rng  # one reordering per sentence shape; kept for the common signature
    if m := _LEADING_CLAUSE.match(sentence):
        conj, sub, main, end = m.groups()
        new = f"{_upper_first(main)} {conj.lower()} {sub}{end}"
        return Change(new, f"paraphrase: moved the {conj.lower()!r} clause to the end")
    if (m := _TRAILING_CLAUSE.match(sentence)) and m.group(1).split()[-1].lower() not in (
        _BOUND_TO_CONJUNCTION
    ):
        main, conj, sub, end = m.groups()
        new = f"{conj.capitalize()} {sub}, {_lower_first(main, lowercase_ok)}{end}"
        return Change(new, f"paraphrase: moved the {conj!r} clause to the front")
    return None


# --- the generator

KIND_SHARES = {
    "faithful": 0.20, "paraphrase": 0.17, "number": 0.13, "negation": 0.13,
    "entity": 0.12, "wrong_source": 0.13, "extra_clause": 0.12,
}  # fmt: skip
SUPPORT_SAFE = 0.3  # a passage covering less of a sentence's terms than this cannot support it
WRONG_SOURCE_MAX = 0.35  # a "wrong" source may share topic words, not the claim itself
_MIN_WORDS, _MAX_WORDS = 8, 35


def _tfidf_vectors(docs: list[list[str]]) -> list[dict[str, float]]:
    """Unit-length TF-IDF vectors (as dicts) of tokenised passages."""
    df: dict[str, int] = {}
    for doc in docs:
        for term in set(doc):
            df[term] = df.get(term, 0) + 1
    vectors: list[dict[str, float]] = []
    for doc in docs:
        counts: dict[str, int] = {}
        for term in doc:
            counts[term] = counts.get(term, 0) + 1
        vec = {t: c * math.log((1 + len(docs)) / (1 + df[t])) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors.append({t: v / norm for t, v in vec.items()})
    return vectors


def _figures(text: str) -> set[str]:
    """Digits and number words, to spot the same fact retold on another page."""
    return set(re.findall(r"\d+(?:\.\d+)?", text)) | {
        w.lower() for w in _WORD_FIGURE.findall(text)
    }


@dataclass(frozen=True)
class _Candidate:
    sentence: str
    passage: Passage


def _sentences(passage: Passage) -> Iterable[str]:
    for start, end in split_sentences(passage.text):
        s = passage.text[start:end]
        words = s.split()
        if not (_MIN_WORDS <= len(words) <= _MAX_WORDS) or not s.endswith("."):
            continue
        if s[0] in "\"“‘'(" or "“" in s or '"' in s or ":" in s or len(term_set(s)) < 4:
            continue
        yield s


class CheckerSetBuilder:
    """Draws sentences from a corpus and turns them into labelled checker cases."""

    def __init__(self, corpus: Corpus, seed: int = 13) -> None:
        self.corpus = corpus
        self.rng = random.Random(seed)
        all_text = "\n".join(corpus.texts.values())
        self.groups = entity_groups_for(all_text)
        lower_vocab = set(re.findall(r"(?<=[a-z,;] )([a-z][a-z'-]*)\b", all_text))
        self._lowercase_ok = lambda w: w.lower() in lower_vocab or w.lower() in STOPWORDS
        seen: set[str] = set()
        self.candidates: list[_Candidate] = []
        for passage in corpus.passages:
            for s in _sentences(passage):
                if s not in seen:
                    seen.add(s)
                    self.candidates.append(_Candidate(s, passage))
        self.passages = list(corpus.passages)
        self._terms = [term_set(p.text) for p in self.passages]
        self._tfidf = _tfidf_vectors([terms(p.text) for p in self.passages])

    # -- sources around a sentence

    def _far_passages(self, sentence: str, exclude_url: str, limit: float) -> list[int]:
        wanted = term_set(sentence)
        return [
            i for i, p in enumerate(self.passages)
            if p.url != exclude_url and wanted
            and len(wanted & self._terms[i]) / len(wanted) < limit
        ]

    def _distractor(self, sentence: str, exclude_url: str) -> Passage | None:
        """An unrelated passage from another page, so every case has more than one source."""
        far = self._far_passages(sentence, exclude_url, SUPPORT_SAFE)
        return self.passages[self.rng.choice(far)] if far else None

    def _near_wrong_source(self, candidate: _Candidate) -> tuple[Passage, float] | None:
        """The passage of another page most on the same topic that still cannot support it.

        Topic is TF-IDF cosine between the sentence's own passage and the candidate, so
        a Portal sentence gets a Portal passage from another article; support is ruled out
        by term coverage (below WRONG_SOURCE_MAX) and by the figures the sentence states.
        """
        numbers = _figures(candidate.sentence)
        own = self._tfidf[self.passages.index(candidate.passage)]
        scored: list[tuple[float, int]] = []
        for i in self._far_passages(candidate.sentence, candidate.passage.url, WRONG_SOURCE_MAX):
            if numbers and numbers <= _figures(self.passages[i].text):
                continue  # same figures: probably the same fact retold on another page
            other = self._tfidf[i]
            scored.append((sum(w * other.get(t, 0.0) for t, w in own.items()), i))
        if not scored:
            return None
        scored.sort(reverse=True)
        similarity, index = scored[self.rng.randrange(min(3, len(scored)))]
        return self.passages[index], similarity

    def _case(
        self,
        kind: str,
        number: int,
        sentence: str,
        cited: Passage,
        others: Sequence[Passage | None],
        supported: bool,
        change: str | None,
        origin: Passage,
    ) -> CheckerCase:
        passages = [cited, *[p for p in others if p is not None]]
        ids = list(range(1, len(passages) + 1))
        self.rng.shuffle(ids)
        sources = tuple(
            sorted(
                (CheckerSource(i, p.text, p.url) for i, p in zip(ids, passages, strict=True)),
                key=lambda s: int(s.id),
            )
        )
        return CheckerCase(
            id=f"{kind}-{number:03d}",
            sentence=sentence,
            sources=sources,
            citations=(ids[0],),
            supported=supported,
            kind=kind,
            change=change,
            extra={"origin": origin.url},
        )

    # -- one case of each kind

    def make(self, kind: str, number: int, c: _Candidate) -> CheckerCase | None:
        s, p = c.sentence, c.passage
        distractor = self._distractor(s, p.url)
        change: Change | None
        if kind == "faithful":
            return self._case(kind, number, s, p, [distractor], True, "verbatim", p)
        if kind == "paraphrase":
            rules = [
                lambda: reorder_clauses(s, self.rng, self._lowercase_ok),
                lambda: swap_synonym(s, self.rng),
                lambda: drop_hedge(s, self.rng),
            ]
            self.rng.shuffle(rules)
            change = next((ch for rule in rules if (ch := rule()) is not None), None)
            if change is None:
                return None
            return self._case(kind, number, change.sentence, p, [distractor], True,
                              change.description, p)
        if kind == "wrong_source":
            found = self._near_wrong_source(c)
            if found is None:
                return None
            wrong, similarity = found
            note = f"wrong_source: cites {wrong.url} (similarity {similarity:.2f}) not {p.url}"
            return self._case(kind, number, s, wrong, [p], False, note, p)
        if kind == "extra_clause":
            clause = self._clause_for(c)
            if clause is None:
                return None
            extra, source = clause
            new = f"{s.rstrip('.')}, and {_lower_first(extra.rstrip('.'), self._lowercase_ok)}."
            note = f"extra_clause: appended {extra!r} from {source.url}"
            return self._case(kind, number, new, p, [distractor], False, note, p)
        perturb = {
            "number": lambda: change_number(s, self.rng),
            "negation": lambda: flip_negation(s, self.rng),
            "entity": lambda: swap_entity(s, self.rng, self.groups, p.text),
        }[kind]
        change = perturb()
        if change is None or change.sentence == s or change.sentence in p.text:
            return None
        return self._case(kind, number, change.sentence, p, [distractor], False,
                          change.description, p)

    def _clause_for(self, c: _Candidate) -> tuple[str, Passage] | None:
        """A short sentence from another page whose content the cited passage lacks."""
        options = [
            o for o in self.candidates
            if o.passage.url != c.passage.url and 6 <= len(o.sentence.split()) <= 16
            and _coverage(o.sentence, c.passage.text) < SUPPORT_SAFE
            and self._lowercase_ok(o.sentence.split(" ", 1)[0])
        ]
        if not options:
            return None
        pick = self.rng.choice(options)
        return pick.sentence, pick.passage

    def build(self, size: int = 320, shares: dict[str, float] | None = None) -> list[CheckerCase]:
        """About `size` cases split across kinds by `shares`, each sentence used once per kind."""
        shares = shares or KIND_SHARES
        total = sum(shares.values())
        cases: list[CheckerCase] = []
        for kind, share in shares.items():
            quota = round(size * share / total)
            pool = list(self.candidates)
            self.rng.shuffle(pool)
            made = 0
            for candidate in pool:
                if made >= quota:
                    break
                case = self.make(kind, made + 1, candidate)
                if case is not None:
                    cases.append(case)
                    made += 1
        return cases


def build_checker_set(corpus: Corpus, size: int = 320, seed: int = 13) -> list[CheckerCase]:
    return CheckerSetBuilder(corpus, seed).build(size)
