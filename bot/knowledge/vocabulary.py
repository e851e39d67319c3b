"""A network's own vocabulary, `vocabulary.yaml` beside its entries: loaded, checked, merged."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.knowledge import lexicon
from bot.knowledge.entries import KnowledgeError, SafeLoader
from bot.knowledge.entries import _describe as describe
from bot.knowledge.framing import Scope
from bot.knowledge.normalise import Normaliser

FILE_NAME = "vocabulary.yaml"
# Where the subject ends (`bot.knowledge.framing.Scope`): lists of patterns, and example entries.
SCOPE_SECTIONS = ("elsewhere", "named_elsewhere", "own_subject", "core", "examples")
SECTIONS = (
    "words",
    "phrases",
    "rewrites",
    "subject",
    "canonical",
    "expansions",
    *SCOPE_SECTIONS,
)

# What the normaliser reads a question as (`Normaliser.words`): runs of lower-case letters and
# digits. A key with anything else in it could never match.
_WORD = re.compile(r"[a-z0-9]+")
_WORDS = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")
_ESCAPE = re.compile(r"\\.")
_ENTRY_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

Errors = list[tuple[str | None, str]]


@dataclass(frozen=True)
class Vocabulary:
    """The network's words, by section (see the header of `knowledge/vocabulary.yaml`). The
    empty vocabulary leaves the normaliser with generic English alone."""

    words: Mapping[str, str] = field(default_factory=dict)
    phrases: Mapping[str, str] = field(default_factory=dict)
    rewrites: tuple[tuple[str, str], ...] = ()
    subject: frozenset[str] = frozenset()
    canonical: frozenset[str] = frozenset()
    expansions: Mapping[str, str] = field(default_factory=dict)
    scope: Scope = field(default_factory=Scope)

    def normaliser(self) -> Normaliser:
        """The normaliser of generic English and this vocabulary, its words overriding."""
        return Normaliser(
            words={**lexicon.WORDS, **self.words},
            phrases=self.phrases,
            stop_words=lexicon.STOP_WORDS,
            rewrites=self.rewrites,
            canonical=self.canonical,
            subject=self.subject,
            generic=lexicon.GENERIC,
            expansions=self.expansions,
        )


def _duplicate_keys(node: yaml.Node, errors: Errors) -> None:
    """Keys given twice, which YAML would silently settle for the last: a section twice, or a
    word twice in one section."""
    if not isinstance(node, yaml.MappingNode):
        return
    seen: set[object] = set()
    for key, value in node.value:
        if key.value in seen:
            errors.append((None, f"section '{key.value}' is given twice"))
        seen.add(key.value)
        if not isinstance(value, yaml.MappingNode):
            continue
        words: set[object] = set()
        for inner, _ in value.value:
            if inner.value in words:
                line = inner.start_mark.line + 1
                errors.append((str(key.value), f"'{inner.value}' is given twice (line {line})"))
            words.add(inner.value)


def _text(value: object, pattern: re.Pattern[str] | None) -> str | None:
    """Why `value` is not a valid key or value (None if it is): text, not empty, lower-case,
    and matching `pattern` in full when there is one."""
    if not isinstance(value, str):
        return f"expected text, got {describe(value)}"
    if not value.strip():
        return "is empty"
    if value != value.lower():
        return "is not lower-case"
    if pattern is not None and not pattern.fullmatch(value):
        if pattern is _WORD:
            return "expected one word of letters and digits"
        if pattern is _ENTRY_ID:
            return "expected an entry id (lower-case words joined by hyphens)"
        return "expected words of letters and digits, one space apart"
    return None


def _mapping(
    data: Mapping[str, object],
    section: str,
    errors: Errors,
    keys: re.Pattern[str],
    values: re.Pattern[str] | None,
    *,
    min_words: int = 1,
) -> dict[str, str]:
    raw = data.get(section, {})
    if not isinstance(raw, dict):
        errors.append((section, f"expected a mapping of key: value, got {describe(raw)}"))
        return {}
    found: dict[str, str] = {}
    for key, value in raw.items():
        problem = _text(key, keys)
        if problem is None and len(str(key).split()) < min_words:
            problem = f"expected at least {min_words} words"
        if problem is not None:
            errors.append((section, f"key {describe(key)} {problem}"))
            continue
        problem = _text(value, values)
        if problem is not None:
            errors.append((section, f"{key!r}: value {describe(value)} {problem}"))
            continue
        found[key] = value
    return found


def _word_list(
    data: Mapping[str, object], section: str, errors: Errors, pattern: re.Pattern[str]
) -> frozenset[str]:
    raw = data.get(section, [])
    if not isinstance(raw, list):
        errors.append((section, f"expected a list of words, got {describe(raw)}"))
        return frozenset()
    found: set[str] = set()
    for n, item in enumerate(raw, 1):
        problem = _text(item, pattern)
        if problem is None and item in found:
            problem = "is listed twice"
        if problem is not None:
            errors.append((section, f"item {n} {describe(item)} {problem}"))
            continue
        found.add(item)
    return frozenset(found)


def _patterns(data: Mapping[str, object], section: str, errors: Errors) -> tuple[str, ...]:
    """A list of regular expressions, each lower-case (questions are matched case aside, so a
    capital letter would only mislead), valid, and given once."""
    raw = data.get(section, [])
    if not isinstance(raw, list):
        errors.append((section, f"expected a list of patterns, got {describe(raw)}"))
        return ()
    found: list[str] = []
    for n, item in enumerate(raw, 1):
        where = f"item {n} {describe(item)}"
        if not isinstance(item, str) or not item.strip():
            errors.append((section, f"{where}: expected a pattern"))
            continue
        try:
            re.compile(item)
        except re.error as exc:
            errors.append((section, f"{where}: not a valid pattern ({exc})"))
            continue
        if _ESCAPE.sub("", item) != _ESCAPE.sub("", item).lower():
            errors.append((section, f"{where}: pattern is not lower-case"))
        elif item in found:
            errors.append((section, f"{where} is listed twice"))
        else:
            found.append(item)
    return tuple(found)


def _scope(data: Mapping[str, object], errors: Errors) -> Scope:
    examples = _word_list(data, "examples", errors, _ENTRY_ID)
    order = data.get("examples", [])
    return Scope(
        elsewhere=_patterns(data, "elsewhere", errors),
        named_elsewhere=_patterns(data, "named_elsewhere", errors),
        own_subject=_patterns(data, "own_subject", errors),
        core=_patterns(data, "core", errors),
        examples=tuple(i for i in order if i in examples) if isinstance(order, list) else (),
    )


def _rewrites(data: Mapping[str, object], errors: Errors) -> tuple[tuple[str, str], ...]:
    raw = data.get("rewrites", [])
    if not isinstance(raw, list):
        errors.append(
            ("rewrites", f"expected a list of [pattern, replacement], got {describe(raw)}")
        )
        return ()
    found: list[tuple[str, str]] = []
    for n, item in enumerate(raw, 1):
        where = f"item {n}"
        if not (
            isinstance(item, list) and len(item) == 2 and all(isinstance(i, str) for i in item)
        ):
            errors.append(
                ("rewrites", f"{where}: expected [pattern, replacement], got {describe(item)}")
            )
            continue
        pattern, replacement = item
        if not pattern.strip():
            errors.append(("rewrites", f"{where}: the pattern is empty"))
            continue
        try:
            compiled = re.compile(pattern)
            compiled.sub(replacement, "")  # a bad group reference in the replacement fails here
        except re.error as exc:
            errors.append(("rewrites", f"{where} {describe(pattern)}: not a valid rewrite ({exc})"))
            continue
        # questions are lower-cased before the rewrites run: a capital letter never matches
        if _ESCAPE.sub("", pattern) != _ESCAPE.sub("", pattern).lower():
            errors.append(("rewrites", f"{where} {describe(pattern)}: pattern is not lower-case"))
            continue
        if replacement != replacement.lower():
            errors.append(
                ("rewrites", f"{where}: replacement {describe(replacement)} is not lower-case")
            )
            continue
        found.append((pattern, replacement))
    return tuple(found)


def parse_vocabulary(text: str, path: Path) -> Vocabulary:
    """Parse and validate the text of a vocabulary file; KnowledgeError names every problem,
    by section and key."""
    errors: Errors = []
    try:
        node = yaml.compose(text, Loader=SafeLoader)
        data = yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise KnowledgeError(path, [(None, f"not valid YAML{where}")]) from None
    if not isinstance(data, dict):
        known = ", ".join(SECTIONS)
        raise KnowledgeError(path, [(None, f"expected a mapping of sections ({known})")])
    if node is not None:
        _duplicate_keys(node, errors)
    for name in sorted(set(map(str, data)) - set(SECTIONS)):
        errors.append((name, f"unknown section (known: {', '.join(SECTIONS)})"))
    vocabulary = Vocabulary(
        words=_mapping(data, "words", errors, _WORD, _WORDS),
        phrases=_mapping(data, "phrases", errors, _WORDS, _WORDS, min_words=2),
        rewrites=_rewrites(data, errors),
        subject=_word_list(data, "subject", errors, _WORDS),
        canonical=_word_list(data, "canonical", errors, _WORD),
        expansions=_mapping(data, "expansions", errors, _WORD, None),
        scope=_scope(data, errors),
    )
    if errors:
        raise KnowledgeError(path, errors)
    return vocabulary


def load_vocabulary(directory: str | Path) -> Vocabulary:
    """The vocabulary of the knowledge base under `directory`, from its `vocabulary.yaml`; the
    empty vocabulary (generic English alone) when it has none."""
    path = Path(directory) / FILE_NAME
    if not path.is_file():
        return Vocabulary()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(path, [(None, f"cannot be read ({exc.__class__.__name__})")]) from None
    return parse_vocabulary(text, path)
