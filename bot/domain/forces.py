"""A force's settings as shown to its leads and admins: each value and where it comes from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One setting: its name in `/champbot settings`, its value now (seconds for times, IDs
    for channels and people; empty: not set), and whether the force set it (else it is the
    deployment's default)."""

    name: str
    value: str
    own: bool
    kind: str  # "channel", "seconds" or "people"
