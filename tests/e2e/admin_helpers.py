"""Driving `/champbot` over HTTP and reading its ephemeral reply."""

from __future__ import annotations

from typing import Any

from tests.conftest import RunningApp
from tests.e2e.helpers import responses


def champbot(app: RunningApp, user: str, text: str) -> dict[str, Any]:
    """Run `/champbot TEXT` as `user`; the reply posted to its response URL."""
    before = len(app.emu.responses)
    app.slack.command(
        "/champbot",
        text,
        user=user,
        channel="CGENERAL",
        response_url=app.emu.response_url("champbot"),
    )
    return dict(responses(app, count=before + 1)[-1].body)
