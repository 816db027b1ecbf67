"""The extractive answer's first line: "Here is what the sources say about <topic>:".

The line states no fact (the checker classes it as a connective), it only tells the
reader what the bullets below answer. Turning a question into a topic is done with a
few rules for the common shapes; anything else is quoted as asked.
"""

from __future__ import annotations

import re

from app.coverage import topic_of

_WHAT_DO = re.compile(r"^what\s+(do|does|did)\s+(.+?)\s+do\b\s*(.*)$", re.IGNORECASE)
_AUX_QUESTION = re.compile(
    r"^(how(?:\s+(?:long|much|many|often|far(?:\s+ahead)?|quickly|soon|big))?|why|when|where)"
    r"\s+(do|does|did)\s+(.+)$",
    re.IGNORECASE,
)
_WHAT_SHOULD_I = re.compile(
    r"^what\s+(?:should|can|could|do|must)\s+(?:i|we)\s+(.+)$", re.IGNORECASE
)
# "what makes a great staff engineer (great)", "what habits do effective principals have"
_WHAT_MAKES = re.compile(
    r"^what\s+makes\s+(?:(?:a|an|the)\s+)?(?:(?:great|good|effective|successful)\s+)?(.+?)"
    r"(?:\s+(?:great|good|effective|successful|excellent|stand\s+out))?$",
    re.IGNORECASE,
)
_WHAT_TRAITS = re.compile(
    r"^what\s+(?:habits|traits|qualities|skills|behaviou?rs|characteristics|attributes)\s+"
    r"(?:do|does)\s+(?:(?:great|good|effective|successful)\s+)?(.+?)\s+(?:have|share|show|need)$",
    re.IGNORECASE,
)
_SUBJECT_PRONOUN = {"i": "you", "we": "you", "you": "you"}
_POSSESSIVE = re.compile(r"\b(?:my|our)\b", re.IGNORECASE)
# Context a condensed follow-up carries in parentheses: not part of the topic named.
_CONTEXT = re.compile(r"\s*\([^()]*\)\s*$")
_LEAD = "Here is what the sources say"
# The checker takes a line ending in ":" for a connective up to 20 words; longer, it
# would be an uncited claim. The plain lead is used beyond that.
_MAX_LEAD_WORDS = 20

# Verbs careers questions use, with their past tense: enough to turn "how did X reduce Y"
# into "how X reduced Y". An unknown verb falls back to quoting the question.
_PAST = {
    "approach": "approached", "avoid": "avoided", "become": "became", "build": "built",
    "change": "changed", "choose": "chose", "convince": "convinced", "create": "created",
    "cut": "cut", "deal": "dealt", "debug": "debugged", "decide": "decided",
    "deliver": "delivered", "design": "designed", "do": "did", "drive": "drove",
    "earn": "earned", "find": "found", "fix": "fixed", "get": "got", "go": "went",
    "grow": "grew", "handle": "handled", "help": "helped", "improve": "improved",
    "increase": "increased", "influence": "influenced", "lead": "led", "learn": "learned",
    "make": "made", "manage": "managed", "measure": "measured", "mentor": "mentored",
    "move": "moved", "plan": "planned", "prepare": "prepared", "prevent": "prevented",
    "take": "took", "spend": "spent", "need": "needed", "last": "lasted", "cost": "cost",
    "differ": "differed", "matter": "mattered",
    "reduce": "reduced", "run": "ran", "save": "saved", "scale": "scaled", "set": "set",
    "ship": "shipped", "show": "showed", "shrink": "shrank", "solve": "solved",
    "spread": "spread", "start": "started", "train": "trained", "turn": "turned",
    "use": "used", "win": "won", "work": "worked", "write": "wrote",
}  # fmt: skip


# Topics that would make the line ungrammatical: a leftover preposition ("say about for a
# SEV-2"), or a question word still followed by its inverted auxiliary ("about how is
# staff different from senior").
_BROKEN_TOPIC = re.compile(
    r"^(?:for|and|or|but|to|of|in|on|at|with|about|than|vs)\b"
    r"|^(?:how|what|why|when|where|who|which)\s+(?:is|are|was|were|do|does|did|can|should|"
    r"could|would|will|has|have)\b",
    re.IGNORECASE,
)


def lead_line(question: str) -> str:
    """ "Here is what the sources say about <topic>:", or without the topic when naming
    it would make the line long enough to read as a claim, or ungrammatical."""
    topic = question_topic(question)
    line = f"{_LEAD} about {topic}:"
    if _BROKEN_TOPIC.match(topic) or len(line.split()) > _MAX_LEAD_WORDS:
        return f"{_LEAD}:"
    return line


def question_topic(question: str) -> str:
    """A question turned into the object of "what the sources say about ..."."""
    text = _CONTEXT.sub("", " ".join(question.strip().rstrip("?!. ").split())).rstrip("?!. ")
    if match := _WHAT_DO.match(text):
        aux, subject, rest = match.group(1).lower(), match.group(2), match.group(3)
        return " ".join(w for w in ("what", subject, aux, rest) if w)
    if match := _WHAT_SHOULD_I.match(text):
        return "what to " + _POSSESSIVE.sub("your", match.group(1))
    if _WHAT_MAKES.match(text):  # already a noun clause
        return text[0].lower() + text[1:]
    if _WHAT_TRAITS.match(text):  # "what habits do X have" -> "what habits X have"
        return re.sub(r"^what\s+(\w+)\s+(?:do|does)\s+", r"what \1 ", text, flags=re.I)
    if match := _AUX_QUESTION.match(text):
        wh, aux, rest = match.group(1).lower(), match.group(2).lower(), match.group(3)
        words = rest.split()
        if words[0].lower() in _SUBJECT_PRONOUN and wh == "how":
            return "how to " + " ".join(words[1:])
        for i, word in enumerate(words[1:], 1):
            verb = word.lower()
            if verb in _PAST:
                form = {"did": _PAST[verb], "does": _third_person(verb), "do": verb}[aux]
                return " ".join([wh, *words[:i], form, *words[i + 1 :]])
        return f"“{text}”"
    topic = topic_of(text)
    if topic != text:
        return topic
    return f"“{text}”"


def question_subject(question: str) -> str:
    """Who or what the question asks about, when its shape says so ("what do X do" -> X,
    "how does X <verb>" -> X); "" otherwise."""
    text = _CONTEXT.sub("", " ".join(question.strip().rstrip("?!. ").split())).rstrip("?!. ")
    if match := _WHAT_DO.match(text):
        return match.group(2)
    if match := _WHAT_MAKES.match(text) or _WHAT_TRAITS.match(text):
        return match.group(1)
    if match := _AUX_QUESTION.match(text):
        words = match.group(3).split()
        for i, word in enumerate(words[1:], 1):
            if word.lower() in _PAST:
                return " ".join(words[:i])
    return ""


def _third_person(verb: str) -> str:
    if verb.endswith(("s", "sh", "ch", "x", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"
