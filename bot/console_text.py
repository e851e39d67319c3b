"""How `champbot console` shows what the bot posts: Slack's markup and Block Kit as plain lines."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.models import utcnow

_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]+))?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_DATE = re.compile(r"<!date\^(\d+)\^([^^|>]*)(?:\^[^|>]*)?(?:\|([^>]*))?>")
_EMOJI = re.compile(r":([a-z0-9_+-]+):")
# Bold and italic markers around words, as Slack reads them (not inside words like snake_case).
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_TYPED_NAME = re.compile(r"(?<![\w<@])@([a-z][a-z0-9._-]*)", re.IGNORECASE)

# The emoji the app's messages use, as a terminal shows them; others stay as :name:.
EMOJI = {
    "bar_chart": "📊",
    "bell": "🔔",
    "books": "📚",
    "calendar": "📅",
    "chart_with_upwards_trend": "📈",
    "heavy_check_mark": "✔️",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⏳",
    "large_green_circle": "🟢",
    "mega": "📣",
    "memo": "📝",
    "mortar_board": "🎓",
    "no_entry_sign": "🚫",
    "palm_tree": "🌴",
    "pencil2": "✏️",
    "red_circle": "🔴",
    "rotating_light": "🚨",
    "scroll": "📜",
    "tada": "🎉",
    "warning": "⚠️",
    "white_check_mark": "✅",
    "x": "❌",
    "information_source": "ℹ️",
    "bust_in_silhouette": "👤",
    "busts_in_silhouette": "👥",
    "speech_balloon": "💬",
    "telephone_receiver": "📞",
    "sos": "🆘",
    "exclamation": "❗",
}


def json_of(value: Any) -> dict[str, Any]:
    """A JSON object the Web API got either encoded or as is."""
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def blocks_of(value: Any) -> list[dict[str, Any]]:
    """Blocks the Web API got either encoded or as is."""
    return json.loads(value) if isinstance(value, str) else list(value or [])


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


@dataclass
class Markup:
    """Slack's mrkdwn read out for a terminal: people and channels by name, emoji as symbols,
    links with their address, `<!date^…>` in the reader's own time zone, no bold markers."""

    names: Mapping[str, str]  # user and channel IDs → names
    zone: str = "Europe/London"
    clock: Callable[[], datetime] = field(default=utcnow)

    def date(self, stamp: int, tokens: str) -> str:
        """A `<!date^stamp^tokens>` as the reader's Slack client would show it."""
        zone = ZoneInfo(self.zone)
        at = datetime.fromtimestamp(stamp, UTC).astimezone(zone)
        today = self.clock().astimezone(zone).date()
        day = {today: "today", today - timedelta(days=1): "yesterday"}.get(at.date())
        day = day or ("tomorrow" if at.date() == today + timedelta(days=1) else None)
        long_date = f"{at:%B} {_ordinal(at.day)}, {at.year}"
        ago = self.clock() - at
        minutes = int(abs(ago).total_seconds() // 60)
        span = f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} hours"
        values = {
            "date_num": f"{at:%Y-%m-%d}",
            "date_slash": f"{at:%d/%m/%Y}",
            "date": long_date,
            "date_short": f"{at:%b} {at.day}, {at.year}",
            "date_long": f"{at:%A}, {long_date}",
            "date_pretty": day or long_date,
            "date_short_pretty": day or f"{at:%b} {at.day}, {at.year}",
            "date_long_pretty": day or f"{at:%A}, {long_date}",
            "time": f"{at:%H:%M}",
            "time_secs": f"{at:%H:%M:%S}",
            "ago": f"{span} ago" if ago >= timedelta() else f"in {span}",
        }
        shown = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), tokens)
        return shown

    def plain(self, text: str) -> str:
        """mrkdwn as a terminal shows it."""
        text = _DATE.sub(lambda m: self.date(int(m.group(1)), m.group(2)), text)
        text = _LINK.sub(
            lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(2) else m.group(1), text
        )
        text = _USER.sub(
            lambda m: "@" + (self.names.get(m.group(1)) or m.group(2) or m.group(1)), text
        )
        text = _CHANNEL.sub(
            lambda m: "#" + (m.group(2) or self.names.get(m.group(1)) or m.group(1)), text
        )
        text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
        text = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
        for marker in (_BOLD, _ITALIC, _STRIKE):
            text = marker.sub(lambda m: m.group(1), text)
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    def render(
        self, blocks: list[dict[str, Any]], number: Callable[[dict[str, Any]], str]
    ) -> Iterable[str]:
        """Blocks as lines; each button is shown as what `number` makes of it (its `/click` N)."""
        for block in blocks:
            kind = block.get("type")
            if kind == "header":
                yield self.plain(block["text"]["text"]).upper()
            elif kind == "section":
                if "text" in block:
                    yield self.plain(block["text"]["text"])
                for part in block.get("fields") or []:
                    yield "  " + self.plain(part.get("text", ""))
                if "accessory" in block and block["accessory"].get("type") == "button":
                    yield "    " + number(block["accessory"])
            elif kind == "context":
                yield "  " + "  ".join(self.plain(e.get("text", "")) for e in block["elements"])
            elif kind == "actions":
                yield "  ".join(number(e) for e in block["elements"] if e.get("type") == "button")
            elif kind == "divider":
                yield "─" * 40
            elif kind == "image":
                yield f"[image: {block.get('alt_text', '')}]"
            elif kind == "table":
                for row in block.get("rows") or []:
                    yield "  " + " | ".join(c.get("text", "") for c in row if isinstance(c, dict))


def mentions(text: str, people: Mapping[str, str]) -> str:
    """`@omar` typed in a message becomes `<@UOMAR>`, as Slack's client converts it; a name
    nobody has stays as typed."""
    return _TYPED_NAME.sub(
        lambda m: (
            f"<@{people[m.group(1).lower()]}>" if m.group(1).lower() in people else m.group(0)
        ),
        text,
    )
