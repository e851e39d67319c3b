"""The app manifest asks for exactly the scopes the code uses."""

from __future__ import annotations

import json

import pytest

from bot.manifest import BOT_EVENTS, BOT_SCOPES, EVENT_SCOPES, METHOD_SCOPES, manifest
from bot.services.outbox import METHODS
from tests.conftest import ROOT

REFERENCE_EVENTS = ROOT.parent / "shared" / "slack-api-ref" / "events"


def test_the_manifest_asks_only_for_scopes_something_needs() -> None:
    scopes = manifest(url="https://champbot.example.org")["oauth_config"]["scopes"]["bot"]
    assert scopes == BOT_SCOPES
    needed = {"commands"} | {s for group in METHOD_SCOPES.values() for s in group}
    needed |= {s for group in EVENT_SCOPES.values() for s in group}
    assert set(scopes) == needed
    # Nothing reads channel or private-channel history, or lists DMs.
    assert not {"channels:history", "groups:history", "im:read"} & set(scopes)


def test_every_method_the_outbox_makes_has_its_scope_listed() -> None:
    called = {part for method in METHODS for part in method.split("+")}
    assert called <= METHOD_SCOPES.keys()


def test_event_scopes_agree_with_slacks_reference() -> None:
    if not REFERENCE_EVENTS.is_dir():
        pytest.skip(f"Slack's API reference is not at {REFERENCE_EVENTS}")
    for event in BOT_EVENTS:
        data = json.loads((REFERENCE_EVENTS / f"{event}.json").read_text())
        wanted = {s.replace(".", ":") for s in data["scopes"]}  # app_mentions.read → :read
        assert wanted == set(EVENT_SCOPES[event]), event
