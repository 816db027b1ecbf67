"""Prompt templates: text files in settings.prompts_dir with `[system]`/`[user]` sections.

Placeholders are `{name}`; only names the caller passes are replaced, so a template
may contain other braces (JSON examples) and a source text containing "{question}" is
never re-expanded, because values are substituted in one pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from core.settings import Settings

_SECTION = re.compile(r"^\[(system|user)\]\s*$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Prompt:
    """A chat prompt: a system message and a user message template."""

    name: str
    system: str
    user: str

    @property
    def placeholders(self) -> set[str]:
        return set(_PLACEHOLDER.findall(self.system + self.user))

    def messages(self, **values: str) -> list[dict[str, str]]:
        """The chat messages with every placeholder filled; a missing value is an error."""
        missing = self.placeholders - values.keys()
        if missing:
            raise KeyError(f"prompt {self.name!r} needs {', '.join(sorted(missing))}")

        def fill(text: str) -> str:
            return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)

        out = []
        if self.system:
            out.append({"role": "system", "content": fill(self.system)})
        out.append({"role": "user", "content": fill(self.user)})
        return out


def parse_prompt(name: str, text: str) -> Prompt:
    """Split a template into its sections; text without sections is all user message."""
    sections = {"system": "", "user": ""}
    matches = list(_SECTION.finditer(text))
    if not matches:
        return Prompt(name, "", text.strip())
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        sections[match.group(1)] = text[match.end() : end].strip()
    return Prompt(name, sections["system"], sections["user"])


def load_prompt(settings: Settings, name: str) -> Prompt:
    """Read `<prompts_dir>/<name>.txt`; read once per service, so edits apply on restart."""
    path = Path(settings.prompts_dir) / f"{name}.txt"
    return parse_prompt(name, path.read_text(encoding="utf-8"))
