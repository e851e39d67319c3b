"""Text for Slack: escaping what users typed, and fitting Slack's limits."""

from __future__ import annotations

import re

_MD_LINK = re.compile(r"\[([^\]\n]{1,200})\]\((https?://[^)\s]{1,2000})\)")
_MD_BOLD = re.compile(r"\*\*([^*\n]+)\*\*")
_BULLET = re.compile(r"(?m)^[-*] ")
_PING_WORD = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def escape(text: str) -> str:
    """Escape user-typed text for Slack, so it cannot mention, ping or forge a link.

    Slack reads `<…>` as a mention or link and `&` as the start of an entity; escaping these
    three characters is exactly what Slack asks of apps posting untrusted text.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def defuse(text: str) -> str:
    """Stop "@channel", "@here" and "@everyone" typed as words from ever pinging anyone."""
    return _PING_WORD.sub(lambda m: "@\u2060" + m.group(1), text)


def plain(text: str) -> str:
    """Typed plain text, safe inside mrkdwn."""
    return defuse(escape(text))


def truncate(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """`text` cut to at most `limit` characters, marked when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ellipsis))].rstrip() + ellipsis


def quote_user_text(text: str, limit: int = 300) -> str:
    """User text as a safe, short, single-paragraph mrkdwn quote."""
    flat = " ".join(text.split())
    return "> " + escape(truncate(flat, limit))


def kb_markdown_to_mrkdwn(body: str) -> str:
    """Curated knowledge text (trusted) in Slack's mrkdwn: links and bold converted."""
    body = _MD_LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", body)
    body = _MD_BOLD.sub(r"*\1*", body)
    return _BULLET.sub("• ", body)


def chunks(text: str, limit: int = 2900) -> list[str]:
    """Split text into pieces under `limit`, at paragraph then line boundaries where possible."""
    pieces: list[str] = []
    current = ""
    for para in text.split("\n\n"):
        candidate = f"{current}\n\n{para}" if current else para
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while len(para) > limit:
            cut = para.rfind("\n", 0, limit)
            cut = cut if cut > limit // 2 else limit
            pieces.append(para[:cut])
            para = para[cut:].lstrip("\n")
        current = para
    if current:
        pieces.append(current)
    return pieces


def article(word: str) -> str:
    """ "a" or "an" before `word`, by its first letter's sound as the roles and outcomes begin
    ("an officer", "an admin", "a champion", "a lead")."""
    return "an" if word[:1].lower() in "aeiou" else "a"
