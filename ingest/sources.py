"""Where pages come from: source specs, the sources YAML file, and URL discovery.

`discover` turns specs into work items for the pipeline. Sources that only name URLs yield
URLs to fetch; a crawl has to fetch pages to find links, so it yields what it fetched; local
files are read here. Every URL left out is reported through `on_decision` with a reason.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal, Protocol
from urllib.parse import quote, urldefrag, urljoin, urlsplit, urlunsplit

import yaml
from bs4 import BeautifulSoup
from lxml import etree

from ingest.errors import FetchError
from ingest.fetch import Fetcher, FetchOutcome, detect_encoding
from ingest.records import Page

OnDecision = Callable[[str, str, str], None]
"""`on_decision(url, decision, detail)`: records why a URL was left out (for the audit log)."""

SitemapKind = Literal["urlset", "sitemapindex"]

Validators = Callable[[str], tuple[str | None, str | None] | None]
"""`validators(url) -> (etag, last_modified)` of the stored copy, or None if none is stored."""


class LinkMemory(Protocol):
    """The links a crawled page had when it was last read, for when it comes back 304."""

    def page_links(self, url: str) -> list[str] | None: ...

    def remember_links(self, url: str, links: list[str]) -> None: ...

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOCAL_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
}
# Links a crawl does not fetch: they cannot be HTML articles, and each costs the host a request.
_SKIPPED_EXTENSIONS = frozenset(
    {
        *(".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".zip", ".gz", ".tar"),
        *(".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico"),
        *(".mp3", ".mp4", ".mov", ".avi", ".woff", ".woff2", ".ttf"),
        *(".css", ".js", ".json", ".xml"),
    }
)
# The sitemap protocol allows one level of index; a little slack, and no more.
_MAX_SITEMAP_NESTING = 3


# --- source specs


@dataclass
class UrlList:
    """Explicit page URLs."""

    urls: list[str]

    @property
    def label(self) -> str:
        return "urls"


@dataclass
class UrlFile:
    """A text file of page URLs, one a line; blank lines and `#` comments are ignored."""

    path: Path

    @property
    def label(self) -> str:
        return f"url_file:{self.path}"


@dataclass
class Sitemap:
    """An XML sitemap or sitemap index (followed recursively); relative <loc>s are allowed."""

    url: str

    @property
    def label(self) -> str:
        return f"sitemap:{self.url}"


@dataclass
class Crawl:
    """Pages reached by following links from `start_url`, without leaving its site section.

    In scope are URLs with the start URL's scheme, host and port whose path lies under the
    start URL's directory. `include` (any must match, when given) and `exclude` (none may
    match) are regexes searched in the whole URL; a link they reject is neither fetched nor
    followed. `max_pages` counts every request the crawl makes, failures included.
    """

    start_url: str
    max_depth: int = 3
    max_pages: int = 500
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    _start: str = field(init=False, repr=False, compare=False)
    _include: list[re.Pattern[str]] = field(init=False, repr=False, compare=False)
    _exclude: list[re.Pattern[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        start = normalize_url(self.start_url)
        if start is None:
            raise ValueError(f"crawl start must be an http(s) URL, got {self.start_url!r}")
        self._start = start
        if self.max_depth < 0 or self.max_pages < 1:
            raise ValueError("crawl needs max_depth >= 0 and max_pages >= 1")
        self._include = [_compile(p) for p in self.include]
        self._exclude = [_compile(p) for p in self.exclude]

    @property
    def label(self) -> str:
        return f"crawl:{self.start_url}"

    @property
    def normalized_start(self) -> str:
        return self._start

    def in_scope(self, url: str) -> bool:
        start, candidate = urlsplit(self._start), urlsplit(url)
        if (start.scheme, start.netloc) != (candidate.scheme, candidate.netloc):
            return False
        directory = start.path[: start.path.rfind("/") + 1] or "/"
        return (candidate.path or "/").startswith(directory)

    def matches_patterns(self, url: str) -> bool:
        if self._include and not any(p.search(url) for p in self._include):
            return False
        return not any(p.search(url) for p in self._exclude)


@dataclass
class LocalPath:
    """A .html/.htm/.md/.markdown file, or a folder searched recursively for them.

    `base_url` is the URL of the folder (of a file's parent folder), so pages get the URLs
    they are published under; without it they get file:// URIs.
    """

    path: Path
    base_url: str | None = None

    @property
    def label(self) -> str:
        return f"local:{self.path}"


SourceSpec = UrlList | UrlFile | Sitemap | Crawl | LocalPath


@dataclass(frozen=True)
class Discovered:
    """One work item: a URL to fetch, or a page already fetched (crawl) or read (local).

    Exactly one of three shapes: `outcome` and `local_page` both None (fetch `url`), an
    `outcome` (use it instead of fetching again), or a `local_page` (no fetching at all).
    """

    url: str
    source: str
    outcome: FetchOutcome | None = None
    local_page: Page | None = None


# --- the sources file


_ENTRY_KEYS = ("urls", "url_file", "sitemap", "crawl", "local")
_CRAWL_KEYS = ("start", "max_depth", "max_pages", "include", "exclude")
_LOCAL_KEYS = ("path", "base_url")


def load_sources_yaml(
    path: str | Path, *, default_max_depth: int = 3, default_max_pages: int = 500
) -> list[SourceSpec]:
    """Read a sources YAML file; relative paths in it are relative to the file.

    Raises ValueError naming the file, the entry and the problem, so a typo fails the
    ingest before any request is made.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read sources file {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: invalid YAML: {exc}") from exc
    specs = parse_sources(
        data,
        base_dir=path.parent,
        where=str(path),
        default_max_depth=default_max_depth,
        default_max_pages=default_max_pages,
    )
    for i, spec in enumerate(specs):
        if isinstance(spec, UrlFile | LocalPath) and not spec.path.exists():
            raise ValueError(f"{path}: sources[{i}]: {spec.path} does not exist")
    return specs


def parse_sources(
    data: Any,
    *,
    base_dir: Path,
    where: str = "sources",
    default_max_depth: int = 3,
    default_max_pages: int = 500,
) -> list[SourceSpec]:
    """Source specs from parsed YAML data (`{"sources": [...]}`); see `load_sources_yaml`."""
    if not isinstance(data, dict) or "sources" not in data:
        raise ValueError(f"{where}: expected a mapping with a 'sources' list")
    _no_unknown_keys(data, ("sources",), where)
    entries = data["sources"]
    if not isinstance(entries, list):
        raise ValueError(f"{where}: 'sources' must be a list")
    specs: list[SourceSpec] = []
    for i, entry in enumerate(entries):
        ctx = f"{where}: sources[{i}]"
        if not isinstance(entry, dict) or len(entry) != 1:
            raise ValueError(f"{ctx}: expected a mapping with one of {', '.join(_ENTRY_KEYS)}")
        _no_unknown_keys(entry, _ENTRY_KEYS, ctx)
        ((kind, value),) = entry.items()
        ctx = f"{ctx}.{kind}"
        try:
            specs.append(
                _parse_entry(kind, value, ctx, base_dir, default_max_depth, default_max_pages)
            )
        except ValueError as exc:
            message = str(exc)
            raise ValueError(message if message.startswith(ctx) else f"{ctx}: {message}") from exc
    return specs


def _parse_entry(
    kind: str, value: Any, ctx: str, base_dir: Path, max_depth: int, max_pages: int
) -> SourceSpec:
    if kind == "urls":
        return UrlList([_http_url(u, ctx) for u in _str_list(value, ctx)])
    if kind == "url_file":
        return UrlFile(_path(value, ctx, base_dir))
    if kind == "sitemap":
        return Sitemap(_http_url(value, ctx))
    if kind == "crawl":
        options = {"start": value} if isinstance(value, str) else value
        if not isinstance(options, dict) or "start" not in options:
            raise ValueError(f"{ctx}: expected a start URL or a mapping with 'start'")
        _no_unknown_keys(options, _CRAWL_KEYS, ctx)
        return Crawl(
            start_url=_http_url(options["start"], f"{ctx}.start"),
            max_depth=_int(options.get("max_depth", max_depth), f"{ctx}.max_depth"),
            max_pages=_int(options.get("max_pages", max_pages), f"{ctx}.max_pages"),
            include=_str_list(options.get("include", []), f"{ctx}.include"),
            exclude=_str_list(options.get("exclude", []), f"{ctx}.exclude"),
        )
    options = {"path": value} if isinstance(value, str) else value
    if not isinstance(options, dict) or "path" not in options:
        raise ValueError(f"{ctx}: expected a path or a mapping with 'path'")
    _no_unknown_keys(options, _LOCAL_KEYS, ctx)
    base_url = options.get("base_url")
    return LocalPath(
        path=_path(options["path"], f"{ctx}.path", base_dir),
        base_url=None if base_url is None else _http_url(base_url, f"{ctx}.base_url"),
    )


def _no_unknown_keys(mapping: dict[Any, Any], allowed: tuple[str, ...], ctx: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise ValueError(f"{ctx}: unknown key {key!r} (expected one of: {', '.join(allowed)})")


def _str_list(value: Any, ctx: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{ctx}: expected a string or a list of strings")
    return list(value)


def _int(value: Any, ctx: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{ctx}: expected an integer, got {value!r}")
    return value


def _http_url(value: Any, ctx: str) -> str:
    if not isinstance(value, str) or normalize_url(value) is None:
        raise ValueError(f"{ctx}: expected an http(s) URL, got {value!r}")
    return value


def _path(value: Any, ctx: str, base_dir: Path) -> Path:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{ctx}: expected a path, got {value!r}")
    return (base_dir / Path(value).expanduser()).resolve()


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regex {pattern!r}: {exc}") from exc


# --- URLs, links and sitemaps (pure)


def normalize_url(url: str, base: str | None = None) -> str | None:
    """Absolute http(s) URL without fragment, default port or empty path; None otherwise.

    Normalizing is what lets "/a", "a#top" and "HTTP://Host:80/a" count as one page.
    """
    absolute, _fragment = urldefrag(urljoin(base, url.strip()) if base else url.strip())
    parts = urlsplit(absolute)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    netloc = parts.hostname.lower()
    if ":" in netloc:  # IPv6 literal
        netloc = f"[{netloc}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def extract_links(page: Page) -> list[str]:
    """Absolute targets of the page's <a href> links, in order, without duplicates.

    Relative links resolve against <base href> when present, else the page's own URL.
    """
    soup = BeautifulSoup(page.body, "lxml", from_encoding=page.encoding)
    base = page.url
    base_tag = soup.find("base", href=True)
    if base_tag is not None:
        base = urljoin(page.url, str(base_tag["href"]))
    links: dict[str, None] = {}
    for anchor in soup.find_all("a", href=True):
        href = str(anchor["href"]).strip()
        if href and not href.startswith("#"):
            links[urldefrag(urljoin(base, href))[0]] = None
    return list(links)


def parse_sitemap(text: str, sitemap_url: str) -> tuple[SitemapKind, list[str]]:
    """The kind of sitemap and its <loc> URLs, resolved against `sitemap_url`.

    Raises ValueError for text that is not a sitemap.
    """
    # Entities are not resolved and nothing is fetched: a sitemap is untrusted input.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, encoding="utf-8")
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from exc
    kind = etree.QName(root).localname
    if kind != "urlset" and kind != "sitemapindex":
        raise ValueError(f"root element <{kind}> is neither <urlset> nor <sitemapindex>")
    locs = [
        urljoin(sitemap_url, element.text.strip())
        for element in root.iter("{*}loc")
        if element.text and element.text.strip()
    ]
    return kind, locs


def local_url(file: Path, folder: Path, base_url: str | None) -> str:
    """URL of a local file: `base_url` + its path relative to `folder`, or its file:// URI."""
    if base_url is None:
        return file.resolve().as_uri()
    relative = PurePosixPath(file.relative_to(folder).as_posix())
    return urljoin(base_url if base_url.endswith("/") else base_url + "/", quote(str(relative)))


# --- discovery


async def discover(
    specs: Iterable[SourceSpec],
    fetcher: Fetcher,
    on_decision: OnDecision,
    validators: Validators | None = None,
    links: LinkMemory | None = None,
) -> AsyncIterator[Discovered]:
    """Yield the work items of `specs`, in order, each URL at most once across all specs.

    `validators` makes a crawl's requests conditional. A crawled page that comes back
    not_modified has no body to read links from: the crawl follows the links `links`
    remembered from its last read. Without them it would end there, and a prune after
    it would delete every page reachable only through unchanged pages.
    """
    run = _Discovery(fetcher, on_decision, validators, links)
    for spec in specs:
        match spec:
            case UrlList(urls=urls):
                items = run.from_urls(urls, spec.label)
            case UrlFile():
                items = run.from_url_file(spec)
            case Sitemap():
                items = run.from_sitemap(spec)
            case Crawl():
                items = run.from_crawl(spec)
            case LocalPath():
                items = run.from_local(spec)
            case _:
                raise TypeError(f"not a source spec: {spec!r}")
        async for item in items:
            yield item


class _Discovery:
    """State of one `discover` run: the URLs already yielded, and how to report skips."""

    def __init__(
        self,
        fetcher: Fetcher,
        on_decision: OnDecision,
        validators: Validators | None,
        links: LinkMemory | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.decide = on_decision
        self.validators = validators
        self.links = links
        self.yielded: set[str] = set()

    def claim(self, url: str, source: str) -> bool:
        """True the first time `url` is offered; later offers are reported as duplicates."""
        if url in self.yielded:
            self.decide(url, "duplicate_url", f"already discovered; skipped for {source}")
            return False
        self.yielded.add(url)
        return True

    def offer(self, raw: str, source: str) -> Discovered | None:
        """A work item for a URL a source names, unless it is unusable or a duplicate."""
        url = normalize_url(raw)
        if url is None:
            self.decide(raw, "unsupported_url", f"not an http(s) URL ({source})")
            return None
        return Discovered(url, source) if self.claim(url, source) else None

    async def from_urls(self, urls: Iterable[str], source: str) -> AsyncIterator[Discovered]:
        for raw in urls:
            if item := self.offer(raw, source):
                yield item

    async def from_url_file(self, spec: UrlFile) -> AsyncIterator[Discovered]:
        try:
            lines = spec.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            self.decide(str(spec.path), "source_unreadable", str(exc))
            return
        urls = [
            line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
        ]
        async for item in self.from_urls(urls, spec.label):
            yield item

    async def from_sitemap(self, spec: Sitemap) -> AsyncIterator[Discovered]:
        async for loc in self._sitemap_locs(spec.url, 0, set()):
            if item := self.offer(loc, spec.label):
                yield item

    async def _sitemap_locs(self, url: str, nesting: int, visited: set[str]) -> AsyncIterator[str]:
        if url in visited:
            self.decide(url, "duplicate_url", "sitemap already read in this index")
            return
        visited.add(url)
        try:
            kind, locs = parse_sitemap(await self.fetcher.fetch_text(url), url)
        except FetchError as exc:
            self.decide(url, "sitemap_failed", f"{exc.reason}: {exc}")
            return
        except ValueError as exc:
            self.decide(url, "sitemap_invalid", str(exc))
            return
        if kind == "urlset":
            for loc in locs:
                yield loc
            return
        for child in locs:
            if nesting + 1 > _MAX_SITEMAP_NESTING:
                self.decide(child, "depth_limit", "sitemap indexes nested too deeply")
                continue
            async for loc in self._sitemap_locs(child, nesting + 1, visited):
                yield loc

    async def from_crawl(self, spec: Crawl) -> AsyncIterator[Discovered]:
        """Breadth-first crawl, fetching up to `fetcher.concurrency` pages at a time.

        A page an earlier source already yielded is still fetched (its links may lead to
        pages no other source names) but is not yielded again.
        """
        start = spec.normalized_start
        known = {start}  # every URL this crawl has queued or ruled out, so each is judged once
        queue: deque[tuple[str, int]] = deque([(start, 0)])
        requested = 0
        while queue:
            if requested >= spec.max_pages:
                for url, _depth in queue:
                    self.decide(url, "page_limit", f"crawl reached max_pages={spec.max_pages}")
                return
            size = min(self.fetcher.concurrency, spec.max_pages - requested, len(queue))
            batch = [queue.popleft() for _ in range(size)]
            requested += size
            outcomes = await asyncio.gather(*(self._fetch(url) for url, _depth in batch))
            for (url, depth), outcome in zip(batch, outcomes, strict=True):
                final = normalize_url(outcome.final_url or url) or url
                known.add(final)
                if self.claim(url, spec.label):
                    self.yielded.add(final)
                    yield Discovered(url, spec.label, outcome=outcome)
                found = self._page_links(final, outcome)
                queue.extend(
                    (link, depth + 1) for link in self._links(spec, found, final, depth, known)
                )

    async def _fetch(self, url: str) -> FetchOutcome:
        etag, last_modified = (self.validators(url) if self.validators else None) or (None, None)
        return await self.fetcher.fetch(url, etag=etag, last_modified=last_modified)

    def _page_links(self, url: str, outcome: FetchOutcome) -> list[str]:
        """The page's links: read from its body, else as remembered from its last read."""
        if outcome.page is not None:
            found = extract_links(outcome.page)
            if self.links is not None:
                self.links.remember_links(url, found)
            return found
        if outcome.status == "not_modified" and self.links is not None:
            return self.links.page_links(url) or []
        return []

    def _links(
        self, spec: Crawl, found: list[str], page_url: str, depth: int, known: set[str]
    ) -> Iterator[str]:
        """New links of a page worth fetching; every other new link is reported once."""
        for raw in found:
            url = normalize_url(raw)
            if url is None:
                if raw not in known:
                    known.add(raw)
                    self.decide(raw, "unsupported_url", f"not an http(s) link on {page_url}")
                continue
            if url in known:
                continue
            known.add(url)
            if not spec.in_scope(url):
                self.decide(url, "out_of_scope", f"outside {spec.start_url}")
            elif not spec.matches_patterns(url):
                self.decide(url, "excluded_by_pattern", "rejected by include/exclude patterns")
            elif PurePosixPath(urlsplit(url).path).suffix.lower() in _SKIPPED_EXTENSIONS:
                self.decide(url, "skipped_extension", "file type cannot be an HTML article")
            elif depth + 1 > spec.max_depth:
                self.decide(url, "depth_limit", f"beyond max_depth={spec.max_depth}")
            else:
                yield url

    async def from_local(self, spec: LocalPath) -> AsyncIterator[Discovered]:
        root = spec.path
        if not root.exists():
            self.decide(str(root), "source_missing", "local path does not exist")
            return
        folder = root.parent if root.is_file() else root
        for file in _local_files(root):
            url = local_url(file, folder, spec.base_url)
            content_type = _LOCAL_TYPES.get(file.suffix.lower())
            if content_type is None:
                self.decide(url, "unsupported_file_type", "not .html/.htm/.md/.markdown")
                continue
            page = self._read_local(file, url, content_type)
            if page is not None and self.claim(url, spec.label):
                yield Discovered(url, spec.label, local_page=page)

    def _read_local(self, file: Path, url: str, content_type: str) -> Page | None:
        try:
            body = file.read_bytes()
            modified = datetime.fromtimestamp(file.stat().st_mtime, UTC)
        except OSError as exc:
            self.decide(url, "source_unreadable", str(exc))
            return None
        # Markdown has nowhere to declare a charset: UTF-8 unless a BOM says otherwise.
        encoding = detect_encoding(body if content_type == "text/html" else body[:4])
        try:
            body.decode(encoding)
        except UnicodeDecodeError as exc:
            self.decide(url, "invalid_encoding", f"not valid {encoding}: {exc.reason}")
            return None
        return Page(
            url=url,
            body=body,
            content_type=content_type,
            encoding=encoding,
            last_modified=format_datetime(modified, usegmt=True),
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )


def _local_files(root: Path) -> list[Path]:
    """`root` itself, or the files under it in a stable order, skipping hidden ones."""
    if root.is_file():
        return [root]
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )
