"""Regenerate `slack_api_ref.json` from Slack's method reference (slack-ruby/slack-api-ref).

`python -m bot.slack_emulator.refgen [SRC]` reads `SRC/methods/<group>/<method>.json`, applies
`SRC/methods/_patches/…`, and keeps what the emulation checks: each method's arguments, which are
required, and its argument groups. SRC defaults to `../shared/slack-api-ref` beside the repo.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VENDORED = HERE / "slack_api_ref.json"
DEFAULT_SRC = HERE.parents[2] / "shared" / "slack-api-ref"


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def build(src: Path) -> dict[str, Any]:
    """The compact reference: {method: {"args": {name: required}, "groups": [...]}}."""
    methods_dir = src / "methods"
    out: dict[str, Any] = {}
    for path in sorted(methods_dir.glob("*/*.json")):
        if path.parent.name.startswith("_"):
            continue
        spec = json.loads(path.read_text())
        patch = methods_dir / "_patches" / path.parent.name / path.name
        if patch.is_file():
            spec = _merge(spec, json.loads(patch.read_text()))
        out[spec["name"]] = {
            "args": {n: bool(a.get("required")) for n, a in sorted(spec.get("args", {}).items())},
            "groups": [
                {
                    "args": list(g["args"]),
                    "exclusive": bool(g.get("mutually_exclusive")),
                    "required": bool(g.get("required", True)),
                }
                for g in spec.get("arg_groups") or []
            ],
        }
    return out


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else DEFAULT_SRC
    data = build(src)
    VENDORED.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n")
    print(f"{len(data)} methods written to {VENDORED}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
