"""A force's settings, as `/champbot settings` shows them to its leads and admins."""

from __future__ import annotations

from bot.domain.forces import Setting
from bot.views.blocks import Reply, context, section

USAGE = (
    "Admins change a setting with `/champbot settings NAME VALUE`, e.g. "
    "`/champbot settings queue #stalking-queue`, `/champbot settings claim-sla 30m`, "
    "`/champbot settings kb-owners @lena @chris`; `/champbot settings NAME default` goes back "
    "to the deployment's value."
)


def _value(s: Setting) -> str:
    if not s.value:
        return "_not set_"
    if s.kind == "channel":
        return f"<#{s.value}>"
    if s.kind == "people":
        return " ".join(f"<@{p}>" for p in s.value.split(","))
    seconds = int(s.value)
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def settings_reply(settings: list[Setting], *, changed: str | None = None) -> Reply:
    """Each setting, its value, and whether this force set it or it is the default."""
    lines = [
        f"• `{s.name}`: {_value(s)}" + ("" if s.own else " (the deployment's default)")
        for s in settings
    ]
    head = f"*Updated `{changed}`.* " if changed else ""
    text = head + "*This force's settings*\n" + "\n".join(lines)
    return Reply(
        text=f"Updated {changed}" if changed else "This force's settings",
        blocks=[section(text), context(USAGE)],
    )
