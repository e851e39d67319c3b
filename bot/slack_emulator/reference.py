"""Checks a Web API call against Slack's method reference: known method, required and known args."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

VENDORED = Path(__file__).resolve().parent / "slack_api_ref.json"
# Sent by clients on any call and accepted by Slack, but not listed per method in the reference:
# the token (when not in the header), and the team_id slack_sdk adds for a request's workspace.
TRANSPORT_ARGS = frozenset({"token", "team_id"})


@lru_cache(maxsize=4)
def load(path: Path = VENDORED) -> dict[str, Any]:
    """The compact reference (see refgen.py)."""
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def problems(method: str, args: dict[str, Any], reference: dict[str, Any]) -> list[str]:
    """Why Slack would reject these arguments; empty when it would accept them."""
    spec = reference.get(method)
    if spec is None:
        return [f"{method}: unknown method"]
    known: dict[str, bool] = spec["args"]
    found = []
    present = {k for k, v in args.items() if v not in (None, "")}
    for name in sorted(set(args) - set(known) - TRANSPORT_ARGS):
        found.append(f"{method}: unknown argument {name!r}")
    for name, required in known.items():
        if required and name not in present:
            found.append(f"{method}: missing required argument {name!r}")
    for group in spec["groups"]:
        given = [a for a in group["args"] if a in present]
        if group["exclusive"] and len(given) > 1:
            found.append(f"{method}: only one of {group['args']} may be given, got {given}")
        if group["required"] and not given:
            found.append(f"{method}: one of {group['args']} is required")
    return found
