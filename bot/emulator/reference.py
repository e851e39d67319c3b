"""Slack's Web API method reference: which methods exist and which arguments each accepts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VENDORED = Path(__file__).resolve().with_name("slack_api_ref.json")

# Arguments whose absence Slack reports with a specific error rather than invalid_arguments.
_MISSING_ERRORS = {
    "channel": "channel_not_found",
    "user": "user_not_found",
    "ts": "message_not_found",
    "message_ts": "message_not_found",
    "timestamp": "message_not_found",
    "trigger_id": "invalid_trigger_id",
}
_TRUE_FALSE = {"true", "false", "1", "0"}


@dataclass(frozen=True)
class Problem:
    """One way a call breaks the reference: the error Slack would give, and why."""

    error: str
    reason: str


@dataclass(frozen=True)
class ArgGroup:
    """A rule over several arguments: at least one (required) and/or at most one (exclusive)."""

    args: tuple[str, ...]
    required: bool
    mutually_exclusive: bool
    desc: str


@dataclass(frozen=True)
class MethodSpec:
    """What the reference says about one method."""

    name: str
    args: Mapping[str, Mapping[str, Any]]
    arg_groups: tuple[ArgGroup, ...]
    deprecated: bool = False
    errors: frozenset[str] = frozenset()  # those it documents beyond the common ones

    @property
    def required(self) -> list[str]:
        return [name for name, spec in self.args.items() if spec.get("required")]


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


class Reference:
    """The method reference, loaded from the vendored JSON or from a slack-api-ref checkout."""

    def __init__(
        self,
        methods: Mapping[str, MethodSpec],
        *,
        source: Mapping[str, str],
        common_errors: frozenset[str] = frozenset(),
    ) -> None:
        self.methods = dict(methods)
        self.source = dict(source)
        self.common_errors = common_errors

    def errors(self, method: str) -> frozenset[str]:
        """Every error the reference lists for `method`, its own and the common ones."""
        spec = self.methods.get(method)
        return self.common_errors | (spec.errors if spec else frozenset())

    @classmethod
    def load(cls, path: str | Path | None = None) -> Reference:
        """`path`: the vendored-format JSON file, a slack-api-ref checkout, or None (vendored)."""
        target = Path(path) if path is not None else VENDORED
        if target.is_dir():
            from bot.emulator.refgen import build

            doc = build(target)
        else:
            doc = json.loads(target.read_text(encoding="utf-8"))
        return cls.from_document(doc)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Reference:
        methods = {
            name: MethodSpec(
                name=name,
                args=dict(spec.get("args", {})),
                arg_groups=tuple(
                    ArgGroup(
                        args=tuple(group["args"]),
                        required=bool(group.get("required", True)),
                        mutually_exclusive=bool(group.get("mutually_exclusive", False)),
                        desc=str(group.get("desc", "")),
                    )
                    for group in spec.get("arg_groups", [])
                ),
                deprecated=bool(spec.get("deprecated", False)),
                errors=frozenset(spec.get("errors", [])),
            )
            for name, spec in doc["methods"].items()
        }
        common = frozenset(doc.get("common_errors", []))
        return cls(methods, source=doc.get("source", {}), common_errors=common)

    def __contains__(self, method: object) -> bool:
        return method in self.methods

    def check(self, method: str, args: Mapping[str, Any]) -> list[Problem]:
        """Everything wrong with calling `method` with `args`; empty when the call is valid."""
        spec = self.methods.get(method)
        if spec is None:
            return [Problem("unknown_method", f"{method} is not a Web API method")]
        problems: list[Problem] = []
        if spec.deprecated:
            problems.append(Problem("method_deprecated", f"{method} is deprecated"))
        for name in sorted(args):
            if name not in spec.args:
                problems.append(Problem("invalid_arguments", f"unknown argument {name!r}"))
            else:
                problems.extend(_type_problems(name, args[name], spec.args[name]))
        for name in spec.required:
            if not _present(args.get(name)):
                error = _MISSING_ERRORS.get(name, "invalid_arguments")
                problems.append(Problem(error, f"missing required argument {name!r}"))
        for group in spec.arg_groups:
            problems.extend(_group_problems(group, args))
        return problems


def _group_problems(group: ArgGroup, args: Mapping[str, Any]) -> list[Problem]:
    given = [name for name in group.args if _present(args.get(name))]
    names = ", ".join(group.args)
    is_text = "text" in group.args
    if group.required and not given:
        error = "no_text" if is_text else "invalid_arguments"
        how = "exactly one" if group.mutually_exclusive else "at least one"
        return [Problem(error, f"needs {how} of {names}")]
    if group.mutually_exclusive and len(given) > 1:
        error = "markdown_text_conflict" if "markdown_text" in group.args else "invalid_arguments"
        return [Problem(error, f"only one of {names} may be given, got {', '.join(given)}")]
    return []


def _type_problems(name: str, value: Any, spec: Mapping[str, Any]) -> list[Problem]:
    """Light type checks where a wrong type is unambiguous; JSON-format args may be structured."""
    kind = spec.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if isinstance(value, dict | list) and spec.get("format") != "json":
        if kinds & {"array", "object", None}:
            return []
        return [Problem("invalid_array_arg", f"argument {name!r} must be a string, got JSON")]
    if (
        kinds == {"boolean"}
        and not isinstance(value, bool)
        and str(value).lower() not in (_TRUE_FALSE)
    ):
        return [Problem("invalid_arguments", f"argument {name!r} must be a boolean: {value!r}")]
    if kinds == {"integer"} and not isinstance(value, bool):
        try:
            int(str(value))
        except ValueError:
            return [Problem("invalid_arguments", f"argument {name!r} must be an integer")]
    return []
