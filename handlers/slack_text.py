"""Slack's message markup turned back into the plain words a person typed."""

from __future__ import annotations

import re

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^|>]*)?(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto|tel):[^|>]+)(?:\|([^>]*))?>")


def to_plain(text: str, *, bot_user_id: str | None = None) -> str:
    """Slack markup as plain text: the bot's own mention removed, others kept as words."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    text = _MENTION.sub("someone", text)
    text = _SPECIAL.sub(lambda m: m.group(2) or m.group(1), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or "channel"), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def to_id(word: str) -> str:
    """A channel or person as Slack's markup names them (`<#C123|queue>`, `<@U123|lena>`) as
    their bare ID; any other word unchanged."""
    found = _CHANNEL.fullmatch(word) or _MENTION.fullmatch(word)
    return found.group(1) if found else word
