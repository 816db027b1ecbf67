"""Word analysis shared by BM25 (in memory or in the database), lexical overlap and coverage:
lower-cased, stemmed content terms.

One analyser for every lexical comparison keeps them consistent: a question term that
BM25 matched is also a term the answerer counts as overlap and the coverage check
looks up in the vocabulary.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nltk.stem.snowball import SnowballStemmer

# Function words, question scaffolding and praise: they carry no topic, so matching
# them would let "what do great staff engineers do?" rank every chunk saying "great".
STOPWORDS = frozenset(
    [
     "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
     "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
     "but", "by", "can", "could", "did", "do", "does", "doing", "done", "down", "during", "each",
     "either", "else", "etc", "ever", "every", "few", "for", "from", "further", "get", "gets",
     "getting", "got", "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
     "him", "himself", "his", "how", "however", "i", "if", "in", "into", "is", "it", "its",
     "itself", "just", "let", "lets", "like", "make", "makes", "many", "may", "me", "might",
     "more", "most", "much", "must", "my", "myself", "no", "nor", "not", "now", "of", "off",
     "on", "once", "one", "only", "or", "other", "others", "our", "ours", "ourselves", "out",
     "over", "own", "per", "quite", "rather", "really", "same", "shall", "she", "should", "so",
     "some", "such", "than", "that", "thats", "the", "their", "theirs", "them", "themselves",
     "then", "there", "these", "they", "this", "those", "though", "through", "to", "too",
     "under", "until", "up", "upon", "us", "very", "via", "was", "we", "were", "what", "whats",
     "when", "where", "whether", "which", "while", "who", "whom", "whose", "why", "will", "with",
     "within", "without", "would", "yet", "you", "your", "yours", "yourself", "yourselves", "s",
     "t", "d", "ll", "m", "re", "ve", "tell", "know", "say", "said", "says", "thing", "things",
     "way", "ways", "great", "good", "best", "better", "bad", "worse", "worst", "effective",
     "successful", "excellent", "top",
    ]
)  # fmt: skip

_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*[a-z0-9]*")
# "one-on-one", "one-to-ones", "1:1s", "1-on-1": one meeting, one term. Word by word the
# idiom is three stopwords (or the figure 1), and "How do I run a good one-on-one?" was
# left with "run" as its only topic word. Changing this changes what the database keyword
# index holds: `careerqa keywords build` re-analyses the pages indexed before.
_ONE_ON_ONE = re.compile(r"\b(?:one|1)[ -](?:on|to)[ -](?:one|1)(s?)\b|(?<![\d:.])1:1(s?)(?![\d:])")
_APOSTROPHE = re.compile(r"[’']")
_STEMMER = SnowballStemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball stem, memoised: a corpus repeats a few thousand words millions of times.

    A final "s" that Snowball keeps is dropped too, so acronym plurals meet their
    singular ("SLOs" -> "slo", "KPIs" -> "kpi"); the rare collision costs nothing here.
    """
    root = _STEMMER.stem(word)
    if len(root) > 3 and root.endswith("s") and not root.endswith("ss"):
        root = root[:-1]
    return root


def words(text: str) -> list[str]:
    """Lower-cased word tokens; "don’t" becomes "dont" and "$10M" becomes "10m"."""
    text = _APOSTROPHE.sub("", text.lower())
    if "1" in text or "one" in text:
        text = _ONE_ON_ONE.sub(lambda m: "oneonone" + (m.group(1) or m.group(2) or ""), text)
    return _WORD.findall(text)


def terms(text: str) -> list[str]:
    """Stemmed content terms in order, stopwords removed (repeats kept, as BM25 needs)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def term_set(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def overlap(query: frozenset[str], text_terms: frozenset[str]) -> float:
    """Share of the query's terms that the text contains (0..1); 0 for an empty query."""
    if not query:
        return 0.0
    return len(query & text_terms) / len(query)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
