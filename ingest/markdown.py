"""Markdown to an HTML tree, through a CommonMark parser with the extensions career sites use.

markdown-it-py parses CommonMark plus tables; mdit-py-plugins add YAML front matter,
footnotes, definition lists, MkDocs/Python-Markdown admonitions (`!!! tip "Title"`) and
`{#id .class}` attributes. What no parser knows is removed from the source first,
outside code: Liquid/Jekyll/Eleventy template tags (`{% page "/x/" %}`, `{{ site.url }}`),
kramdown attribute lists (`{:target="_blank"}`, `## Intro {#intro}`) and `[TOC]` markers.
A raw HTML block that CommonMark cut at a blank line (a `<div>` whose indented `<ul>`
would become a code block) is joined back into one HTML block, so it is parsed as HTML.

The result is the same kind of tree an HTML page gives, so one walker turns both into blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml
from bs4 import BeautifulSoup, Tag
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

# `{% raw %}`, `{%- if x -%}`, `{{ site.data.x }}`: template syntax, never article text.
# `{% comment %}...{% endcomment %}` goes with what it comments out.
_TEMPLATE_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.S)
_INLINE_CODE = re.compile(r"((?<!`)`+(?!`)[^`\n]*?(?<!`)`+(?!`))")  # split() keeps the spans
_TEMPLATE_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S)
# kramdown inline/block attribute lists and header ids: `{:target="_blank"}`, `{: .note}`,
# `{#intro}`; the last only at the end of a line, where kramdown reads it.
_KRAMDOWN_IAL = re.compile(r"[ \t]*\{:[^}\n]*\}|[ \t]*\{#[\w:.-]+\}[ \t]*$", re.M)
_TOC_MARKER = re.compile(r"^[ \t]*\[\[?_?TOC_?\]\]?[ \t]*$", re.M | re.I)
_ANY_MARK = re.compile(r"\{[%{]|\{:|\{#[\w:.-]+\}|^[ \t]*\[\[?_?TOC", re.M | re.I)
_HTML_CONTAINERS = ("div", "ul", "ol", "table", "details", "section", "dl", "blockquote")
_HTML_OR_CODE = ("html_block", "code_block")
_CONTAINER_NAMES = "|".join(_HTML_CONTAINERS)
_CONTAINER_LINE = re.compile(rf"(?m)^[ \t]{{0,3}}<({_CONTAINER_NAMES})\b", re.I)
_OPEN_TAG = re.compile(rf"<({_CONTAINER_NAMES})\b[^>]*(?<!/)>", re.I)
_CLOSE_TAG = re.compile(rf"</({_CONTAINER_NAMES})\s*>", re.I)


@dataclass
class MarkdownTree:
    """A Markdown file as an HTML tree plus its front matter (empty when it has none)."""

    root: Tag
    front_matter: dict


def parser() -> MarkdownIt:
    """The CommonMark parser with the extensions above, raw HTML allowed (it is parsed, then
    cleaned like any page's)."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    for plugin in (front_matter_plugin, footnote_plugin, deflist_plugin, admon_plugin):
        md.use(plugin)
    return md.use(attrs_plugin)


_PARSER = parser()  # stateless between calls: markdown-it keeps per-call state in `env`
# Block structure only (where code and HTML blocks are), for the passes before the real
# parse: inline parsing is most of markdown-it's time and these passes need none of it.
_BLOCK_PARSER = parser().disable(["inline", "footnote_tail", "text_join"])


def markdown_tree(source: str) -> MarkdownTree:
    """Parse `source` into an HTML tree under one <div>; raise ValueError if it cannot be."""
    source = _strip_outside_code(source)
    source = _join_split_html_blocks(source)
    env: dict = {}
    tokens = _PARSER.parse(source, env)
    front = _front_matter(tokens)
    html = _PARSER.renderer.render(tokens, _PARSER.options, env)
    root = BeautifulSoup(f"<div>{html}</div>", "lxml").div
    if root is None:
        raise ValueError("unparseable Markdown")
    return MarkdownTree(root, front)


def _front_matter(tokens: list[Token]) -> dict:
    """The YAML front matter as a dict with lower-cased keys; {} if absent or not a mapping."""
    if not tokens or tokens[0].type != "front_matter":
        return {}
    try:
        loaded = yaml.safe_load(tokens[0].content)
    except yaml.YAMLError:
        return {}
    return {str(k).lower(): v for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def _code_lines(source: str) -> set[int]:
    """Line numbers inside fenced or indented code (and the front matter), left untouched."""
    lines: set[int] = set()
    for token in _BLOCK_PARSER.parse(source, {}):
        if token.type in ("fence", "code_block", "front_matter") and token.map:
            lines.update(range(*token.map))
    return lines


def _segments(source: str, keep: set[int]) -> list[tuple[bool, str]]:
    """`source` as consecutive runs of lines, each flagged whether it is to be kept as is."""
    runs: list[tuple[bool, str]] = []
    for number, line in enumerate(source.splitlines(keepends=True)):
        flag = number in keep
        if runs and runs[-1][0] == flag:
            runs[-1] = (flag, runs[-1][1] + line)
        else:
            runs.append((flag, line))
    return runs


def _strip_outside_code(source: str) -> str:
    """Template tags, kramdown attribute lists and TOC markers removed, code left as written."""
    if not _ANY_MARK.search(source):
        return source  # the common case: no parse needed to find the code
    out = []
    for kept, text in _segments(source, _code_lines(source)):
        if not kept:
            text = _TEMPLATE_COMMENT.sub("", text)
            # `{{ user.name }}` in an inline code span is an example, like a fenced one
            parts = _INLINE_CODE.split(text)
            text = "".join(p if i % 2 else _strip_markup(p) for i, p in enumerate(parts))
        out.append(text)
    return "".join(out)


def _strip_markup(text: str) -> str:
    return _TOC_MARKER.sub("", _KRAMDOWN_IAL.sub("", _TEMPLATE_TAG.sub("", text)))


def _join_split_html_blocks(source: str) -> str:
    """Rejoin an HTML block that a blank line split, so its rest is not read as code.

    CommonMark ends an HTML block at the first blank line; an indented `<li>` after it
    is then an indented code block. When a block leaves a container tag open and what
    follows up to its closing tag is only more HTML or such code, the blank lines in
    between are dropped and the whole region becomes one HTML block. Markdown written
    between the tags (a paragraph inside `<details>`) stays Markdown, as on GitHub.
    """
    if not _CONTAINER_LINE.search(source):
        return source  # no container tag opens a line: nothing CommonMark could have split
    lines = source.splitlines(keepends=True)
    blocks = [
        t for t in _BLOCK_PARSER.parse(source, {}) if t.level == 0 and t.map and t.nesting >= 0
    ]
    blank: set[int] = set()
    index = 0
    while index < len(blocks):
        token = blocks[index]
        index += 1
        if token.type != "html_block":
            continue
        depth = _depth(token.content)
        first_end = token.map[1]
        while depth > 0 and index < len(blocks) and blocks[index].type in _HTML_OR_CODE:
            follower = blocks[index]
            blank.update(n for n in range(first_end, follower.map[1]) if not lines[n].strip())
            depth += _depth("".join(lines[follower.map[0] : follower.map[1]]))
            first_end = follower.map[1]
            index += 1
    if not blank:
        return source
    return "".join(line for number, line in enumerate(lines) if number not in blank)


def _depth(html: str) -> int:
    return len(_OPEN_TAG.findall(html)) - len(_CLOSE_TAG.findall(html))
