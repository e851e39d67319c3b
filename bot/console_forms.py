"""The console's forms: Slack's stack of modals, printed as fields and filled in as typed."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.console_clock import ConsoleClock, parse_duration
from bot.console_people import IDS, ZONE
from bot.console_text import Markup
from bot.slack_requests import SlackSender


class UnknownChoice(ValueError):
    """A form value that matches none of the field's choices (or several)."""


def pick_option(options: list[dict[str, Any]], typed: str) -> dict[str, Any]:
    """The option `typed` names: its value, the start of its label, or one word of it ("dm"
    for "Also send to each champion by DM"); UnknownChoice when none or several fit."""
    want = typed.strip().lower()
    for test in (
        lambda o: str(o.get("value", "")).lower() == want,
        lambda o: o["text"]["text"].lower() == want,
        lambda o: o["text"]["text"].lower().startswith(want),
        lambda o: want in o["text"]["text"].lower().replace(",", " ").split(),
    ):
        found = [o for o in options if want and test(o)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            break
    choices = ", ".join(o["text"]["text"] for o in options)
    raise UnknownChoice(f"{typed.strip()!r} is not one of the choices: {choices}")


class ConsoleForms(ABC):
    """The console's part that keeps, prints and fills in the open forms."""

    out: TextIO
    slack: SlackSender
    clock: ConsoleClock
    markup: Markup
    modals: list[dict[str, Any]]
    _modal_changed: bool

    @property
    def modal(self) -> dict[str, Any] | None:
        """The form on top, the one `/submit` fills in."""
        return self.modals[-1] if self.modals else None

    @property
    @abstractmethod
    def user_id(self) -> str: ...

    @abstractmethod
    def _number(
        self, element: dict[str, Any], channel: str | None, ts: str | None, ephemeral: bool
    ) -> str: ...

    def _show_modal(self, view: dict[str, Any]) -> None:
        """Print a form: what it shows, then its fields numbered, with the choices they offer."""
        title = view.get("title", {}).get("text", "")
        shown = [b for b in view.get("blocks", []) if b.get("type") != "input"]
        lines = list(self.markup.render(shown, lambda e: self._number(e, None, None, True)))
        fields = [b for b in view.get("blocks", []) if b.get("type") == "input"]
        for i, block in enumerate(fields, 1):
            element = block.get("element", {})
            choices = [o["text"]["text"] for o in element.get("options", [])]
            hint = {
                "datetimepicker": " (YYYY-MM-DD HH:MM, or +30m from now)",
                "users_select": " (a name)",
                "multi_users_select": " (names, with commas)",
                "datepicker": " (YYYY-MM-DD, or empty for the date shown)",
                "checkboxes": " (any of them, with commas)",
            }
            kind = element.get("type", "")
            extra = f": {' / '.join(choices)}" if choices else ""
            extra += hint.get(kind, "") if kind in ("checkboxes",) or not choices else ""
            lines.append(f"  {i}. {self.markup.plain(block['label']['text'])}{extra}")
        submit = view.get("submit", {}).get("text")
        close = view.get("close", {}).get("text", "Cancel")
        actions = []
        if submit:
            actions.append(f"/submit VALUE [| VALUE …] to {submit.lower()}")
        if len(self.modals) > 1:
            actions.append(f"/back for {close}")
        actions.append("/close to cancel" if submit else "/close to close")
        lines.append("  " + ", ".join(actions))
        self.out.write(f"\n── modal: {title} ──\n" + "\n".join(lines) + "\n")

    def _entry(self, element: dict[str, Any], value: str) -> dict[str, Any] | None:
        """The state Slack would send for `value` typed into `element`; None when left empty."""
        kind = element["type"]
        if not value and kind == "datepicker" and element.get("initial_date"):
            return {"type": kind, "selected_date": element["initial_date"]}  # as Slack sends it
        if not value:
            return {"type": kind, "value": None} if kind.endswith("_input") else None
        options = element.get("options", [])
        if kind == "users_select":
            name = value.lower().lstrip("@")
            if name not in IDS:
                raise UnknownChoice(f"{value!r} is nobody here: {', '.join(IDS)}")
            return {"type": kind, "selected_user": IDS[name]}
        if kind == "multi_users_select":
            names = [v.strip().lower().lstrip("@") for v in value.split(",") if v.strip()]
            unknown = [n for n in names if n not in IDS]
            if unknown:
                raise UnknownChoice(f"{unknown[0]!r} is nobody here: {', '.join(IDS)}")
            return {"type": kind, "selected_users": [IDS[n] for n in names]}
        if kind == "datepicker":
            try:
                picked = date.fromisoformat(value)
            except ValueError:
                raise UnknownChoice(f"{value!r} is not a date (YYYY-MM-DD)") from None
            return {"type": kind, "selected_date": picked.isoformat()}
        if kind in ("static_select", "radio_buttons"):
            return {"type": kind, "selected_option": pick_option(options, value)}
        if kind == "checkboxes":
            chosen = [pick_option(options, v) for v in value.split(",") if v.strip()]
            return {"type": kind, "selected_options": chosen}
        if kind == "datetimepicker":
            return {"type": kind, "selected_date_time": self._stamp(value)}
        return {"type": kind, "value": value}

    def _stamp(self, value: str) -> int:
        """A typed date and time in the console's zone, or `+30m` from the console's now."""
        if value.startswith("+"):
            return int((self.clock() + parse_duration(value[1:])).timestamp())
        try:
            local = datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(ZONE))
        except ValueError:
            raise UnknownChoice(
                f"{value!r} is not a date and time (YYYY-MM-DD HH:MM, +30m)"
            ) from None
        return int(local.timestamp())

    def submit(self, rest: str) -> None:
        """Fill the open modal's inputs in order (values split on `|`) and submit it."""
        modal = self.modal
        if modal is None:
            self.out.write("No modal is open.\n")
            return
        inputs = [b for b in modal.get("blocks", []) if b.get("type") == "input"]
        values = [v.strip() for v in rest.split("|")] if inputs else []
        if len(values) > len(inputs):
            self.out.write(f"  This form has {len(inputs)} fields; you gave {len(values)}.\n")
            return
        state: dict[str, dict[str, dict[str, Any]]] = {}
        for block, value in zip(inputs, values, strict=False):
            element = block["element"]
            try:
                entry = self._entry(element, value)
            except UnknownChoice as exc:
                self.out.write(f"  {self.markup.plain(block['label']['text'])}: {exc}\n")
                return
            if entry is not None:
                state[block["block_id"]] = {element["action_id"]: entry}
        resp = self.slack.view_submission(user=self.user_id, view=modal, values=state)
        parsed = resp.json() if resp.body and resp.body != "null" else None
        body: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
        action = body.get("response_action")
        if action == "errors":
            for name, error in body.get("errors", {}).items():
                self.out.write(f"  {name}: {error}\n")
            return
        if action == "push":
            self.modals.append(body["view"])
            self._modal_changed = True
        elif action == "update":
            self.modals[-1] = body["view"]
            self._modal_changed = True
        else:  # "clear", or nothing: Slack closes the whole stack
            self.modals.clear()

    def back(self) -> None:
        """The modal's close button on a pushed view: back to the view under it."""
        if len(self.modals) < 2:
            self.out.write("There is no form to go back to; /close cancels.\n")
            return
        self.modals.pop()
        self._modal_changed = True

    def _track_view(self, method: str, args: dict[str, Any], view: dict[str, Any]) -> None:
        """Keep the stack of open forms as Slack does; printing waits until the bot is done."""
        if method == "views.open":
            self.modals = [view]
        elif method == "views.push":
            self.modals.append(view)
        else:
            target = args.get("view_id")
            at = [i for i, v in enumerate(self.modals) if target and v.get("id") == target]
            if at:
                self.modals[at[-1]] = view
            elif self.modals:
                self.modals[-1] = view
            else:
                self.modals = [view]
        self._modal_changed = True
