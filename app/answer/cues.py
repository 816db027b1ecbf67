"""What a candidate sentence is, read from its surface: a story, a behaviour, advice, a
definition, a reference to text it does not contain.

Pure functions of the text, memoised per quote (`cues_of`): the same popular sentences
are scored question after question, and a warm answer must not re-run a dozen regular
expressions over a few hundred sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from app.terms import term_set

# A past verb, but not a present passive ("is often handed a symptom").
_PAST_VERB = re.compile(
    r"\b(?<!is )(?<!are )(?<!be )(?<!been )(?<!being )(?<!get )(?<!gets )"
    r"(?:\w{3,}ed|was|were|had|did|took|made|built|led|became|wrote|found|grew|went|began|"
    r"gave|got|spent|saw|ran"
    # "set", "cut", "put" are present tense too: "engineers rarely set direction alone".
    r"|(?<!s )(?<!ly )(?:cut|set|put))\b"
)
_DIGITS = re.compile(r"\d|%|\$")
_FIGURE = re.compile(
    r"\d|%|\$|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    r"thirty|forty|fifty|hundred|thousand|half|third|quarter|fifth|double|twice)\b",
    re.IGNORECASE,
)

# Who acts in a trait sentence: people in a role, named by their role.
_AGENT = (r"(?:engineers?|owners?|leaders?|leads?|mentors?|sponsors?|specialists?|fixers?|"
          r"solvers?|architects?|hybrids?|principals?|seniors?|people|ics?)")
# "<up to three modifiers> <agent> [who/with ... ] [adverb/modal] <present verb>",
# optionally after a short opening clause ("When a framework surprises them, ...").
_BEHAVIOUR = re.compile(
    r"^(?:(?:when|if|once|before|after|at|in|for)\b[^,]{0,60},\s*)?"
    rf"(?:[\w+’'-]+\s+){{0,3}}{_AGENT}\b"
    r"(?:\s+(?:who|that|whom|with)\b[^,.;]{0,50}?)?"
    r"\s+(?:(?:also|often|rarely|usually|still|always|never|can|keep|tend to)\s+)?"
    r"(?!(?:is|are|was|were|had|has|have|do|does|and|or|but|of|to|in|on|at|for|with|from|by|"
    r"as|who|that|whom|the|a|an)\b)[a-z]+\b",
    re.IGNORECASE,
)
_POPULATION = re.compile(r"^(?:many|most|some|few|all|plenty of)\s", re.IGNORECASE)
# Who acts in a story: "The engineer built ...", "They handed ...", "Two senior engineers
# each took ...". The actor among the first words, a past verb right after.
_ACTOR = re.compile(
    r"^(?:(?:once|after|with|when|in|at|by|during|before)\b[^,]{0,60},\s*)?"
    r"(?:[\w’'-]+\s+){0,4}?(?:engineers?|team|teams|they|he|she|mentor|lead|owner)\b"
    r"(?:\s+\w+ly)?\s+(?:\w{3,}ed|took|made|built|led|became|wrote|found|grew|began|gave|got|"
    r"spent|ran|set|cut|put|sent|kept|held|chose|drew|brought|taught|stopped|did)\b",
    re.IGNORECASE,
)
# Verbs advice opens with: "Ask each person ...", "Pair juniors with seniors ...". An
# imperative has no subject, so it states no one's behaviour, but it answers "how do I".
_IMPERATIVE_VERBS = frozenset(
    ["ask", "pick", "record", "decide", "put", "write", "talk", "include", "take", "look",
     "aim", "avoid", "start", "stop", "use", "make", "keep", "build", "hand", "pair",
     "delegate", "choose", "agree", "let", "give", "bring", "report", "share", "raise",
     "open", "state", "summarize", "summarise", "move", "track", "count", "survey",
     "convert", "treat", "classify", "tie", "size", "find", "run", "set", "read", "revisit",
     "update", "reserve", "explain", "offer", "notice", "replace", "answer", "fix",
     "reproduce", "profile", "change", "review", "document", "follow", "close", "measure",
     "call", "get", "go", "try", "think", "plan", "focus", "learn", "remember", "consider",
     "create", "define", "identify", "invest", "lead", "listen", "prepare", "protect",
     "schedule", "send", "show", "spend", "teach", "test", "turn", "volunteer", "walk",
     "watch", "work", "describe", "name", "list", "drop", "cut", "add", "check", "don’t",
     "don't", "never", "always", "be", "do", "say", "tell", "help", "invite", "pair",
     "replace", "hand", "delegate", "practise", "practice", "separate", "grow", "own"]
)  # fmt: skip
# A capitalised word after a lower-case one: a company, product or person ("at Meta",
# "Will Larson"); all-caps jargon (CI, APK, L5) is not a name.
_NAME = re.compile(r"(?<=[a-z,;:]\s)[A-Z][a-z]+")
_ONE_ACTOR = re.compile(r"\b(?:one|an?)\s+(?:\w+\s+){0,2}engineers?\s+(?:at|in|from|we)\b",
                        re.IGNORECASE)
# Mid-sentence references to something the quote does not contain: "close that gap",
# "makes this possible", "such teams", "an engineer there". "that" is a reference only
# before a word that does not start a clause ("that everyone", "that the", "that makes").
_DEMONSTRATIVE = re.compile(
    r"(?<!^)\b(?:this|these|those|such)\b(?!\s+(?:piece|article|post|guide)\b)"
    r"|(?<!so )(?<!such )(?<!now )\bthat\s+"
    r"(?!(?:the|a|an|is|are|was|were|can|could|will|would|should|may|might|must|they|"
    r"it|you|we|he|she|someone|everyone|anyone|nobody|people|other|others|their|its|"
    r"your|his|her|no|not|every|each|all|most|many|some|any|what|who|how|when|where|why|"
    r"one|two|three|if|in|on|at|to|for|by|with|from|of|as|so|still|only|also|often|just|"
    r"really|much|more|less|matters?|helps?|works?|requires?)\b)(?![a-z]+(?:s|ed|ly)\b)"
    r"[a-z]+\b"
    r"|\b(?:engineers?|people|teams?|compan(?:y|ies)|managers?|leaders?|everyone)\s+there\b",
    re.IGNORECASE,
)
# "Mentoring is advice.", "Disagree and commit means stating your concerns ...": the
# words before the verb are what the sentence defines.
_DEFINITION = re.compile(r"^(.{2,60}?)\s+(?:is|are|means|describes|refers to)\s", re.IGNORECASE)
LEVELS = frozenset(["intern", "junior", "mid", "senior", "staff", "principal", "distinguished",
                    "fellow", "manager", "director", "vp", "l3", "l4", "l5", "l6", "l7", "l8"])
SHORT = 7  # words: "It does not scale." says little on its own


@dataclass(frozen=True)
class Cues:
    """Surface features of one quote (one sentence or a pair); see `cues_of`."""

    terms: frozenset[str]
    sentence_terms: tuple[frozenset[str], ...]
    opening_terms: frozenset[str]  # of the first five words: the subject, usually
    words: int
    narrative: bool  # a past verb among the first ten words
    behaviour: bool  # "Outcome owners watch the rollout themselves."
    action: bool  # "The engineer built a detection pipeline ..."
    imperative: bool  # "Pick one primary metric ..."
    anecdote: bool  # names a company, product or person, or "one engineer at"
    refers_outside: bool  # "close that gap": the gap is in a sentence not quoted
    digits: bool
    figure: bool  # digits or a number word ("five", "half")
    names: frozenset[str]  # capitalised words, lower-cased: "robinhood", "portal"
    level: str | None  # the career level its opening names ("a principal engineer")
    defines: frozenset[str]  # terms of what it defines: "Mentoring is advice." -> {mentor}


@lru_cache(maxsize=200_000)  # ~5 quotes a chunk: the chunks `answer_quotes` keeps
def cues_of(sentences: tuple[str, ...]) -> Cues:
    """The cues of a quote made of `sentences` (one, or a sentence and its antecedent).

    Cues about how the quote opens (behaviour, imperative, references) read the first
    sentence only: in a pair, the second's "this" points at the first.
    """
    text = " ".join(sentences)
    first = sentences[0]
    opening = first.split()[:5]
    definition = _DEFINITION.match(first)
    return Cues(
        terms=term_set(text),
        sentence_terms=tuple(term_set(s) for s in sentences),
        opening_terms=term_set(" ".join(opening)),
        words=len(text.split()),
        narrative=is_narrative(text),
        behaviour=states_behaviour(first),
        action=bool(_ACTOR.match(first)),
        imperative=is_imperative(first),
        anecdote=is_anecdote(text),
        refers_outside=bool(_DEMONSTRATIVE.search(first)),
        digits=bool(_DIGITS.search(text)),
        figure=bool(_FIGURE.search(text)),
        names=frozenset(w.lower() for w in re.findall(r"\b[A-Z][\w’'-]+", text)),
        level=_opening_level(opening),
        defines=term_set(definition.group(1)) if definition else frozenset(),
    )


def acts_as(sentence: str, agents: frozenset[str]) -> bool:
    """ "Reviewers look for design first" for a question about code reviewers: the
    question's own role (any role, not only those of `_AGENT`), then what it does."""
    return bool(agents) and _behaves(sentence, _agent_behaviour(agents))


@lru_cache(maxsize=256)
def _agent_behaviour(agents: frozenset[str]) -> re.Pattern[str]:
    names = "|".join(sorted(map(re.escape, agents)))
    return re.compile(_BEHAVIOUR.pattern.replace(_AGENT, f"(?:{names})", 1), re.IGNORECASE)


def is_narrative(text: str) -> bool:
    """Past-tense storytelling: a past verb among the first ten words."""
    return bool(_PAST_VERB.search(" ".join(text.split()[:10])))


def states_behaviour(sentence: str) -> bool:
    """ "Outcome owners watch the rollout themselves.", "Engineers with depth profile
    first": people named by their role, then what they do (not what they are). "Many
    engineers receive ..." describes everyone, not what the good ones do."""
    return _behaves(sentence, _BEHAVIOUR)


def _behaves(sentence: str, behaviour: re.Pattern[str]) -> bool:
    return (bool(behaviour.match(sentence)) and not _POPULATION.match(sentence)
            and not is_imperative(sentence))


def is_imperative(sentence: str) -> bool:
    """Advice to the reader: the sentence opens with a verb ("Pick one primary metric.")."""
    first = sentence.split(maxsplit=1)[0].strip(",.;:").lower() if sentence.strip() else ""
    return first in _IMPERATIVE_VERBS


def is_anecdote(text: str) -> bool:
    """Names a company, product or person, or "one engineer at ...": part of a story."""
    return bool(_NAME.search(text) or _ONE_ACTOR.search(text))


def _opening_level(opening: list[str]) -> str | None:
    """The career level the first words name ("A principal engineer"); "senior+" covers
    every level above senior, so it names none."""
    for word in opening:
        if word.endswith("+"):
            continue
        token = word.strip(",.;:’'").lower()
        if token in LEVELS:
            return token
    return None
