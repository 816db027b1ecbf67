"""The extractive answer's first line: "Here is what the sources say about <topic>:".

The line states no fact (the checker classes it as a connective), it only tells the
reader what the bullets below answer. Turning a question into a topic is done with a
few rules for the common shapes; anything else is quoted as asked.
"""

from __future__ import annotations

import re

from app.coverage import topic_of

_WHAT_DO = re.compile(r"^what\s+(do|does|did)\s+(.+?)\s+do$", re.IGNORECASE)
_AUX_QUESTION = re.compile(r"^(how|why|when|where)\s+(do|does|did)\s+(.+)$", re.IGNORECASE)
_SUBJECT_PRONOUN = {"i": "you", "we": "you", "you": "you"}

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
    "reduce": "reduced", "run": "ran", "save": "saved", "scale": "scaled", "set": "set",
    "ship": "shipped", "show": "showed", "shrink": "shrank", "solve": "solved",
    "spread": "spread", "start": "started", "train": "trained", "turn": "turned",
    "use": "used", "win": "won", "work": "worked", "write": "wrote",
}  # fmt: skip


def lead_line(question: str) -> str:
    return f"Here is what the sources say about {question_topic(question)}:"


def question_topic(question: str) -> str:
    """A question turned into the object of "what the sources say about ..."."""
    text = " ".join(question.strip().rstrip("?!. ").split())
    if match := _WHAT_DO.match(text):
        aux, subject = match.group(1).lower(), match.group(2)
        return f"what {subject} {aux}"
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
        return f"“{question.strip()}”"
    topic = topic_of(text)
    if topic != text:
        return topic
    return f"“{question.strip()}”"


def question_subject(question: str) -> str:
    """Who or what the question asks about, when its shape says so ("what do X do" -> X,
    "how does X <verb>" -> X); "" otherwise."""
    text = " ".join(question.strip().rstrip("?!. ").split())
    if match := _WHAT_DO.match(text):
        return match.group(2)
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
