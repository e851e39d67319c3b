"""Knowledge base entries: one Markdown file each, YAML front matter then the answer."""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLACK_ID_PATTERN = re.compile(r"^[UW][A-Z0-9]{2,}$")
URL_PATTERN = re.compile(r"^https?://[^\s/]+\.[^\s/]+(?:/\S*)?$")
REQUIRED = ("id", "title", "questions", "tags", "owner", "reviewed", "review_by", "sources")
OPTIONAL = ("owner_slack_id", "refer_to_champion")
FIELDS = REQUIRED + OPTIONAL


# libyaml's parser when PyYAML has it (the same documents, ten times faster: most of a
# start's loading of the knowledge base), else PyYAML's own
if TYPE_CHECKING:
    from yaml import SafeLoader
else:
    SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(SafeLoader):
    """YAML as usual, but dates stay text so that a bad one ("2026-02-30") is reported by
    field, like any other mistake, instead of failing inside the YAML parser."""


_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),  # type: ignore[arg-type]
)


def display_path(path: Path) -> str:
    """How a file is named in messages: its folder and name, e.g. `knowledge/spo-breach.md`."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


class KnowledgeError(Exception):
    """An entry file is malformed. The message names the file and the field; `errors` holds
    every (field, message) pair found in the file, the first of which is the message."""

    def __init__(self, path: Path, errors: list[tuple[str | None, str]]) -> None:
        self.path = path
        self.errors = errors
        field, message = errors[0]
        self.field = field
        where = f"field '{field}': " if field else ""
        text = f"{display_path(path)}: {where}{message}"
        if len(errors) > 1:
            text += f" (and {len(errors) - 1} more)"
        super().__init__(text)


@dataclass(frozen=True)
class Source:
    """An authoritative page an entry's facts come from."""

    title: str
    url: str


@dataclass(frozen=True)
class Entry:
    """One curated answer, as loaded from `knowledge/<id>.md`."""

    id: str
    title: str
    questions: tuple[str, ...]
    tags: tuple[str, ...]
    owner: str
    owner_slack_id: str | None
    reviewed: date
    review_by: date
    refer_to_champion: bool
    sources: tuple[Source, ...]
    body: str
    path: Path

    @property
    def summary(self) -> str:
        """The first paragraph of the answer: what a busy officer reads first."""
        return self.body.strip().split("\n\n", 1)[0].strip()

    def is_overdue(self, today: date) -> bool:
        """Whether the entry is past its review-by date."""
        return today > self.review_by


def split_front_matter(text: str) -> tuple[str, str] | None:
    """(front matter, body) of a Markdown file that starts with a `---` block, else None."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "".join(lines[1:i]), "".join(lines[i + 1 :])
    return None


class _Fields:
    """Typed access to front matter that records every problem instead of stopping at one."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: list[tuple[str | None, str]] = []

    def fail(self, field: str | None, message: str) -> None:
        self.errors.append((field, message))

    def text(self, field: str, *, required: bool = True) -> str | None:
        value = self.data.get(field)
        if value is None:
            if required:
                self.fail(field, "missing (required)")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(field, f"expected non-empty text, got {_describe(value)}")
            return None
        return value.strip()

    def texts(self, field: str, *, minimum: int) -> tuple[str, ...]:
        value = self.data.get(field)
        if value is None:
            self.fail(field, "missing (required)")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(field, f"expected a list of non-empty text, got {_describe(value)}")
            return ()
        if len(value) < minimum:
            plural = "item" if minimum == 1 else "items"
            self.fail(field, f"expected at least {minimum} {plural}, got {len(value)}")
        return tuple(v.strip() for v in value)

    def day(self, field: str) -> date | None:
        value = self.data.get(field)
        if value is None:
            self.fail(field, "missing (required)")
            return None
        if isinstance(value, str):
            with suppress(ValueError):
                value = date.fromisoformat(value.strip())
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        self.fail(field, f"expected a date like 2027-05-28, got {_describe(value)}")
        return None

    def sources(self) -> tuple[Source, ...]:
        value = self.data.get("sources")
        if value is None:
            self.fail("sources", "missing (required): at least one authoritative source")
            return ()
        if not isinstance(value, list) or not value:
            self.fail("sources", "expected a list of at least one {title, url}")
            return ()
        found: list[Source] = []
        for n, item in enumerate(value, 1):
            if not isinstance(item, dict):
                self.fail("sources", f"item {n}: expected title and url, got {_describe(item)}")
                continue
            title, url = item.get("title"), item.get("url")
            extra = sorted(set(item) - {"title", "url"})
            if extra:
                self.fail("sources", f"item {n}: unknown field(s) {', '.join(map(str, extra))}")
            if not isinstance(title, str) or not title.strip():
                self.fail("sources", f"item {n}: expected a title")
            elif not isinstance(url, str) or not URL_PATTERN.match(url.strip()):
                self.fail("sources", f"item {n}: expected an http(s) URL, got {_describe(url)}")
            else:
                found.append(Source(title=title.strip(), url=url.strip()))
        return tuple(found)


def _describe(value: object) -> str:
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_entry(text: str, path: Path) -> Entry:
    """Parse and validate the text of an entry file; raise KnowledgeError naming each problem."""
    parts = split_front_matter(text)
    if parts is None:
        raise KnowledgeError(path, [(None, "expected YAML front matter between '---' lines")])
    front, body = parts
    try:
        data = yaml.load(front, Loader=_Loader)
    except (yaml.YAMLError, ValueError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise KnowledgeError(path, [(None, f"front matter is not valid YAML{where}")]) from None
    if not isinstance(data, dict):
        raise KnowledgeError(path, [(None, "front matter must be a mapping of fields")])

    f = _Fields(data)
    for unknown in sorted(set(map(str, data)) - set(FIELDS)):
        f.fail(unknown, f"unknown field (known: {', '.join(FIELDS)})")
    entry_id = f.text("id")
    if entry_id is not None:
        if not ID_PATTERN.match(entry_id):
            f.fail("id", "expected lower-case letters, digits and hyphens, like spo-breach")
        elif entry_id != path.stem:
            f.fail("id", f"'{entry_id}' does not match the file name '{path.name}'")
    title = f.text("title")
    questions = f.texts("questions", minimum=1)
    tags = f.texts("tags", minimum=0)
    owner = f.text("owner")
    slack_id = f.text("owner_slack_id", required=False)
    if slack_id is not None and not SLACK_ID_PATTERN.match(slack_id):
        f.fail("owner_slack_id", f"expected a Slack user ID like U0123ABCD, got {slack_id!r}")
    reviewed, review_by = f.day("reviewed"), f.day("review_by")
    if reviewed and review_by and review_by <= reviewed:
        f.fail("review_by", f"must be after reviewed ({reviewed.isoformat()})")
    refer = data.get("refer_to_champion", False)
    if not isinstance(refer, bool):
        f.fail("refer_to_champion", f"expected true or false, got {_describe(refer)}")
    sources = f.sources()
    if not body.strip():
        f.fail("body", "the answer after the front matter is empty")
    if f.errors:
        raise KnowledgeError(path, f.errors)
    assert entry_id and title and owner and reviewed and review_by  # guaranteed by no errors
    return Entry(
        id=entry_id,
        title=title,
        questions=questions,
        tags=tuple(t.lower() for t in tags),
        owner=owner,
        owner_slack_id=slack_id,
        reviewed=reviewed,
        review_by=review_by,
        refer_to_champion=bool(refer),
        sources=sources,
        body=body.strip(),
        path=path,
    )


def load_entry(path: str | Path) -> Entry:
    """Load and validate one entry file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(path, [(None, f"cannot be read ({exc.__class__.__name__})")]) from None
    return parse_entry(text, path)


def entry_files(directory: str | Path) -> list[Path]:
    """The entry files under `directory` (any depth), README.md files excepted, sorted."""
    root = Path(directory)
    return sorted(p for p in root.rglob("*.md") if p.name.lower() != "readme.md" and p.is_file())


def load_entries(directory: str | Path) -> list[Entry]:
    """Load every entry under `directory`; the first malformed file raises KnowledgeError."""
    root = Path(directory)
    if not root.is_dir():
        raise KnowledgeError(root, [(None, "knowledge folder not found")])
    return [load_entry(p) for p in entry_files(root)]
