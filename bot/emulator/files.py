"""Slack's current file upload, emulated: `files.getUploadURLExternal` hands out a one-use
upload URL on the emulator's own loopback address, the file's bytes are POSTed there, and
`files.completeUploadExternal` shares the uploaded file in a conversation (a message carrying
it). A complete for a file never uploaded, or completed already, is `file_not_found`, as on
Slack; the arguments of both methods are checked against Slack's reference before they get here.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from bot.emulator.blockkit import check_message, parse_json
from bot.emulator.limits import Faults
from bot.emulator.records import SlackError
from bot.emulator.server import Reply
from bot.emulator.tenancy import Directory
from bot.emulator.workspace import USER_ID, Workspace

FILE_METHODS = {"files.getUploadURLExternal", "files.completeUploadExternal"}
MAX_FILE = 1024 * 1024 * 1024  # Slack's limit on one file
ALT_TEXT = 1000


@dataclass
class StoredFile:
    """One file: announced, then uploaded, then shared."""

    id: str
    team_id: str
    name: str
    length: int
    secret: str
    alt_txt: str = ""
    title: str = ""
    content: bytes | None = None
    completed: bool = False
    created: int = field(default_factory=lambda: int(time.time()))
    shares: list[str] = field(default_factory=list)

    def to_slack(self, user: str) -> dict[str, Any]:
        kind = self.name.rsplit(".", 1)[-1].lower() if "." in self.name else "binary"
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title or self.name,
            "mimetype": "application/pdf" if kind == "pdf" else "application/octet-stream",
            "filetype": kind,
            "user": user,
            "size": len(self.content or b""),
            "is_external": False,
            "channels": list(self.shares),
        }


class Files:
    """The files methods and the upload URL (mixed into the emulator's core)."""

    _lock: threading.RLock
    _dir: Directory
    _violations: list[str]
    _faults: Faults

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    # ---- the Web API methods

    def _files_method(self, method: str, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        if method == "files.getUploadURLExternal":
            return self._get_upload_url(ws, args)
        return self._complete(ws, args)

    def _get_upload_url(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        try:
            length = int(str(args.get("length")))
        except ValueError:
            raise SlackError("invalid_arguments") from None
        if length <= 0:
            raise SlackError("missing_argument", "files.getUploadURLExternal: length must be > 0")
        if length > MAX_FILE:
            raise SlackError("file_upload_size_restricted")
        alt = str(args.get("alt_txt") or "")
        if len(alt) > ALT_TEXT:
            raise SlackError("alt_txt_too_large")
        stored = StoredFile(
            id=ws.new_id("F"),
            team_id=ws.team_id,
            name=str(args.get("filename")),
            length=length,
            secret=secrets.token_urlsafe(12),
            alt_txt=alt,
        )
        self._files[stored.id] = stored
        url = f"{self.base_url}/upload/v1/{ws.team_id}/{stored.id}/{stored.secret}"
        return {"upload_url": url, "file_id": stored.id}

    def _complete(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        listed, error = parse_json(args.get("files"))
        if error or not isinstance(listed, list) or not listed:
            raise SlackError("invalid_arguments", f"files must be a JSON array of {{id}}: {error}")
        chosen: list[tuple[StoredFile, str]] = []
        for item in listed:
            file_id = item.get("id") if isinstance(item, dict) else None
            stored = self._files.get(str(file_id))
            if stored is None or stored.team_id != ws.team_id:
                raise SlackError("file_not_found", f"no upload ticket for file {file_id!r}")
            if stored.content is None:
                raise SlackError("file_not_found", f"file {file_id} was completed before upload")
            if stored.completed:
                raise SlackError("file_not_found", f"file {file_id} was completed already")
            title = item.get("title") if isinstance(item, dict) else None
            chosen.append((stored, str(title or "")))
        targets = self._targets(ws, args)
        blocks = args.get("blocks")
        if blocks not in (None, "") and not args.get("initial_comment"):
            problems = check_message({"blocks": blocks})
            if problems:
                raise SlackError(problems[0][0], problems[0][1])
        for stored, title in chosen:
            stored.completed, stored.title = True, title or stored.title
        for channel in targets:
            self._share(ws, channel, [s for s, _ in chosen], args)
        return {"files": [{"id": s.id, "title": s.title or s.name} for s, _ in chosen]}

    def _targets(self, ws: Workspace, args: dict[str, Any]) -> list[str]:
        named: list[str] = []
        if args.get("channel_id"):
            named.append(str(args["channel_id"]))
        if args.get("channels"):
            named += [c.strip() for c in str(args["channels"]).split(",") if c.strip()]
        if len(named) > 100:
            raise SlackError("channels_limit_exceeded")
        if args.get("thread_ts") and len(named) != 1:
            raise SlackError("invalid_arguments", "thread_ts needs exactly one channel")
        out = []
        for value in dict.fromkeys(named):
            # `channels` may name people (their DM with the bot); `channel_id` is a channel.
            by_user = USER_ID.match(value) is not None and value not in (args.get("channel_id"),)
            channel = ws.channel(value, users_open_dm=by_user)
            if channel.kind in ("channel", "private") and not channel.has_member(ws.bot_user_id):
                raise SlackError("not_in_channel")
            out.append(channel.id)
        return out

    def _share(
        self, ws: Workspace, channel: str, shared: list[StoredFile], args: dict[str, Any]
    ) -> None:
        message: dict[str, Any] = {
            "type": "message",
            "subtype": "file_share",
            "user": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "ts": ws.next_ts(),
            "upload": True,
            "text": str(args.get("initial_comment") or ""),
            "files": [],
        }
        if args.get("blocks") not in (None, "") and not args.get("initial_comment"):
            message["blocks"], _ = parse_json(args["blocks"])
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        for stored in shared:
            stored.shares.append(channel)
            message["files"].append(stored.to_slack(ws.bot_user_id))
        ws.add_message(channel, message)

    # ---- the upload URL

    def handle_upload(self, path: str, body: bytes, content_type: str) -> Reply:
        """One POST to an upload URL: the file's bytes, raw or as a multipart form's part."""
        with self._lock:
            team_id, _, rest = path.partition("/")
            file_id, _, secret = rest.partition("/")
            fault = self._faults.take("upload_url")
            if fault is not None:
                return Reply({"ok": False, "error": fault.error}, status=fault.status)
            stored = self._files.get(file_id)
            if stored is None or stored.team_id != team_id or stored.secret != secret:
                return Reply({"ok": False, "error": "invalid_upload_url"}, status=404)
            if stored.content is not None or stored.completed:
                self._violation(f"upload URL for {file_id} used twice")
                return Reply({"ok": False, "error": "already_uploaded"}, status=400)
            data = _file_bytes(body, content_type)
            if not data:
                self._violation(f"an empty upload for {file_id}")
                return Reply({"ok": False, "error": "no_file_data"}, status=400)
            if len(data) != stored.length:
                self._violation(
                    f"upload for {file_id} is {len(data)} bytes; getUploadURLExternal said "
                    f"{stored.length}"
                )
            stored.content = data
            return Reply({}, text=f"OK - {len(data)}")

    def _violation(self, note: str) -> None:
        self._violations.append(f"upload_url: {note}")

    # ---- for tests

    def uploaded_files(self, *, team_id: str | None = None) -> list[StoredFile]:
        """Every file announced so far (uploaded, shared or neither), oldest first."""
        with self._lock:
            team = self._dir.workspace(team_id).team_id
            return [f for f in self._files.values() if f.team_id == team]


def _file_bytes(body: bytes, content_type: str) -> bytes:
    """The upload's bytes: the body itself, or the file part of a multipart form."""
    if content_type.split(";")[0].strip().lower() != "multipart/form-data":
        return body
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and part.get_filename() is not None:
            return payload
    return b""
