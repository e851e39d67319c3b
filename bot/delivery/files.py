"""A file shared by the outbox: slack_sdk's `files_upload_v2` makes Slack's three-step upload
(files.getUploadURLExternal, the POST of the bytes to the URL it returns, and
files.completeUploadExternal with the conversation)."""

from __future__ import annotations

import base64
from typing import Any

from slack_sdk import WebClient


def upload_file(client: WebClient, payload: dict[str, Any]) -> tuple[str | None, str | None]:
    """Share the payload's file in its `channel` (the conversation of the message it follows);
    (channel, None): Slack gives a shared file no message ts to record."""
    channel = str(payload["channel"])
    client.files_upload_v2(
        content=base64.b64decode(payload["content_b64"]),
        filename=str(payload["filename"]),
        title=str(payload.get("title") or payload["filename"]),
        alt_txt=str(payload.get("alt_txt") or "") or None,
        channel=channel,
    )
    return channel, None
