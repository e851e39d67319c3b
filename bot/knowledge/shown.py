"""What a reply to a question showed, kept with the question so the reply can be drawn again."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from bot.knowledge.entries import Entry

Case = Literal["answered", "live_case", "not_covered", "off_topic", "greeting"]


@dataclass(frozen=True)
class Shown:
    """Everything the reply to a question is drawn from, first time and after feedback alike.

    `entries` are shown whole (the answer first, then a second entry that answers the rest of
    the question; beside a live case, general guidance); `also` are offered one tap away (a
    close runner-up, or the closest entries to an uncovered question). `helpful` is the
    officer's verdict once given (None before), `request_id` the request a live case opened,
    `echo` the question as typed, repeated above an ephemeral reply."""

    case: Case
    question_id: int | None
    entries: tuple[Entry, ...] = ()
    also: tuple[Entry, ...] = ()
    immediate_risk: bool = False
    request_id: int | None = None
    helpful: bool | None = None
    echo: str | None = None

    @property
    def answer(self) -> Entry | None:
        """The entry that answers the question, when it was answered."""
        return self.entries[0] if self.case == "answered" and self.entries else None

    def with_echo(self, echo: str | None) -> Shown:
        """The same reply, repeating the question as typed above it (or not, for None)."""
        return replace(self, echo=echo)
