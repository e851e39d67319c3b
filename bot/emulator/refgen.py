"""Generate the vendored `slack_api_ref.json` from a checkout of slack-ruby/slack-api-ref."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SRC = REPO_ROOT.parent / "shared" / "slack-api-ref"
OUTPUT = Path(__file__).resolve().with_name("slack_api_ref.json")
UPSTREAM = "slack-ruby/slack-api-ref"


def load_method(path: Path, patches: Path) -> dict[str, Any]:
    """One method's data with its patch applied the way upstream does (Hash#merge!).

    A patch is a partial override at the top level: each key it has replaces that key of the
    method wholesale (so a patched `arg_groups` replaces the list, it is not appended to).
    """
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    patch = patches / path.parent.name / path.name
    if patch.is_file():
        data.update(json.loads(patch.read_text(encoding="utf-8")))
    return data


def compact(data: dict[str, Any], common: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Keep what the emulator checks: args (required, type, format), arg groups, deprecation,
    and the names of the errors the method documents beyond the `common` ones."""
    args: dict[str, dict[str, Any]] = {}
    for name, spec in sorted((data.get("args") or {}).items()):
        entry: dict[str, Any] = {"required": bool(spec.get("required", False))}
        if spec.get("type") is not None:
            entry["type"] = spec["type"]
        if spec.get("format"):
            entry["format"] = spec["format"]
        args[name] = entry
    groups = [
        {
            "args": list(group["args"]),
            "required": bool(group.get("required", True)),
            "mutually_exclusive": bool(group.get("mutually_exclusive", False)),
            "desc": str(group.get("desc", "")),
        }
        for group in data.get("arg_groups") or []
    ]
    out: dict[str, Any] = {"args": args, "arg_groups": groups}
    if data.get("deprecated"):
        out["deprecated"] = True
    errors = sorted(set(data.get("errors") or {}) - common)
    if errors:
        out["errors"] = errors
    return out


def common_errors(methods_dir: Path) -> frozenset[str]:
    """The errors every method may give (`_errors/common.json`), kept once, not per method."""
    path = methods_dir / "_errors" / "common.json"
    if not path.is_file():
        return frozenset()
    return frozenset(json.loads(path.read_text(encoding="utf-8")).get("errors") or {})


def build(src: Path) -> dict[str, Any]:
    """The whole vendored document for the reference checkout at `src`."""
    methods_dir = src / "methods"
    if not methods_dir.is_dir():
        raise FileNotFoundError(f"no methods/ folder in {src}")
    patches = methods_dir / "_patches"
    common = common_errors(methods_dir)
    methods: dict[str, dict[str, Any]] = {}
    for path in sorted(methods_dir.glob("*/*.json")):
        if path.parent.name.startswith("_"):
            continue
        data = load_method(path, patches)
        methods[str(data.get("name") or path.stem)] = compact(data, common)
    for patch in sorted(patches.glob("*/*.json")):
        if not (methods_dir / patch.parent.name / patch.name).is_file():
            raise ValueError(f"patch {patch} has no method to apply to")
    doc: dict[str, Any] = {"source": source_info(src), "methods": dict(sorted(methods.items()))}
    doc["common_errors"] = sorted(common)
    return doc


def source_info(src: Path) -> dict[str, str]:
    """Where the data comes from, read from the checkout's SOURCE.md when it has one."""
    commit = "unknown"
    source_md = src / "SOURCE.md"
    if source_md.is_file():
        found = re.search(r"\bcommit\s+([0-9a-f]{7,40})\b", source_md.read_text(encoding="utf-8"))
        if found:
            commit = found.group(1)
    return {
        "repository": UPSTREAM,
        "commit": commit,
        "license": "MIT (see SLACK_API_REF_LICENSE.md)",
        "generated_by": "python -m bot.emulator.refgen",
    }


def render(doc: dict[str, Any]) -> str:
    """Stable JSON text, one method a line, so regenerations diff cleanly."""
    lines = ["{", f'"source": {json.dumps(doc["source"], sort_keys=True)},']
    lines.append(f'"common_errors": {json.dumps(doc.get("common_errors", []))},')
    lines.append('"methods": {')
    items = list(doc["methods"].items())
    for index, (name, spec) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        lines.append(f"{json.dumps(name)}: {json.dumps(spec, ensure_ascii=False)}{comma}")
    lines += ["}", "}", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bot.emulator.refgen [SRC_DIR]`: rewrite the vendored reference file."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print("usage: python -m bot.emulator.refgen [SRC_DIR]", file=sys.stderr)
        return 2
    src = Path(args[0]) if args else DEFAULT_SRC
    try:
        doc = build(src)
    except (OSError, ValueError) as exc:
        print(f"refgen: {exc}", file=sys.stderr)
        return 1
    OUTPUT.write_text(render(doc), encoding="utf-8")
    print(f"wrote {len(doc['methods'])} methods to {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
