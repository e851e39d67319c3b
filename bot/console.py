"""`champbot console`: the real app, real handlers and database, with Slack emulated locally,
driven from the terminal. Type as an officer; `/help` lists what else you can do."""

from __future__ import annotations

import logging
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.console_text import blocks_of, json_of, plain, render
from bot.emulator import SlackEmulator
from bot.models import Role
from bot.slack_requests import SlackSender

CONSOLE_TOKEN = "xoxb-console"
PEOPLE = {  # name: (user id, role on the roster)
    "olivia": ("UOLIVIA", Role.OFFICER),
    "omar": ("UOMAR", Role.OFFICER),
    "chris": ("UCHRIS", Role.CHAMPION),
    "cara": ("UCARA", Role.CHAMPION),
    "lena": ("ULENA", Role.LEAD),
    "adam": ("UADAM", Role.ADMIN),
}
GENERAL = "CGENERAL"
HELP = """\
Type a question and press Enter to send it to the bot as a direct message.
  /mention TEXT   mention the bot in #general      /click N     press button N (or
                                                    /click LABEL: the latest button so labelled)
  /as NAME        switch who you are (olivia, omar: officers; chris, cara: champions;
                  lena: lead; adam: admin)          /home        open the App Home tab
  /ask TEXT, /faq TEXT, /champion ..., /champbot ... run a slash command
  /submit A | B   fill in and send the open form    /close       cancel the form
  /who            list the people                    /quit        leave
"""

_NAMES = {uid: name for name, (uid, _) in PEOPLE.items()}


@dataclass
class Button:
    """A button the console has shown, so `/click N` can press it."""

    action_id: str
    value: str
    label: str
    channel: str | None
    ts: str | None
    ephemeral: bool


@dataclass
class Console:
    """The terminal session: who you are, what has been shown, and the buttons on screen."""

    emu: SlackEmulator
    slack: SlackSender
    out: TextIO = sys.stdout
    user: str = "olivia"
    buttons: list[Button] = field(default_factory=list)
    seen_calls: int = 0
    seen_responses: int = 0
    modal: dict[str, Any] | None = None

    @property
    def user_id(self) -> str:
        return PEOPLE[self.user][0]

    def name_of(self, user_id: str) -> str:
        return next((n for n, (uid, _) in PEOPLE.items() if uid == user_id), user_id)

    def handle(self, line: str) -> bool:
        """Act on one line of input; False when the user wants to leave."""
        line = line.strip()
        if not line:
            return True
        word, _, rest = line.partition(" ")
        if word in ("/quit", "/exit"):
            return False
        if word == "/help":
            self.out.write(HELP)
        elif word == "/who":
            for name, (uid, role) in PEOPLE.items():
                self.out.write(f"  {name:<7} {uid:<8} {role.value}\n")
        elif word == "/as":
            if rest.strip().lower() in PEOPLE:
                self.user = rest.strip().lower()
                self.out.write(f"You are now {self.user} ({PEOPLE[self.user][1].value}).\n")
            else:
                self.out.write(f"Nobody called {rest!r}; try /who.\n")
        elif word == "/click":
            self.click(rest)
        elif word == "/submit":
            self.submit(rest)
        elif word == "/close":
            self.modal = None
        elif word == "/home":
            self.slack.home_opened(user=self.user_id, channel=self.emu.im_channel(self.user_id))
        elif word == "/mention":
            self.slack.mention(user=self.user_id, channel=GENERAL, text=rest)
        elif word.startswith("/"):
            url = self.emu.response_url(f"console-{word[1:]}")
            resp = self.slack.command(
                word, rest, user=self.user_id, channel=GENERAL, response_url=url
            )
            if resp.status == 404:
                self.out.write(f"The bot has no {word} command. Type /help.\n")
        else:
            self.slack.dm(user=self.user_id, channel=self.emu.im_channel(self.user_id), text=line)
        self.show_new()
        return True

    def click(self, rest: str) -> None:
        label = rest.strip().lower()
        matches = [b for b in self.buttons if label and b.label.lower().startswith(label)]
        try:
            button = matches[-1] if matches else self.buttons[int(rest) - 1]
        except (ValueError, IndexError):
            self.out.write("No such button: use its number in [brackets] or its label.\n")
            return
        self.slack.block_action(
            user=self.user_id,
            action_id=button.action_id,
            value=button.value,
            response_url=self.emu.response_url("console-click"),
            channel=button.channel,
            message_ts=button.ts,
            is_ephemeral=button.ephemeral,
        )

    def _show_modal(self, view: dict[str, Any]) -> None:
        """Print a form: what it shows, then its fields numbered, with the choices they offer."""
        self.modal = view
        title = view.get("title", {}).get("text", "")
        shown = [b for b in view.get("blocks", []) if b.get("type") != "input"]
        lines = list(render(shown, _NAMES, lambda e: self._number(e, None, None, True)))
        fields = [b for b in view.get("blocks", []) if b.get("type") == "input"]
        for i, block in enumerate(fields, 1):
            element = block.get("element", {})
            choices = [o["text"]["text"] for o in element.get("options", [])]
            hint = {"datetimepicker": " (YYYY-MM-DD HH:MM)", "users_select": " (a name)"}
            extra = f": {' / '.join(choices)}" if choices else hint.get(element.get("type"), "")
            lines.append(f"  {i}. {plain(block['label']['text'], _NAMES)}{extra}")
        submit = view.get("submit", {}).get("text", "Submit")
        lines.append(f"  /submit VALUE [| VALUE …] to {submit.lower()}, /close to cancel")
        self.out.write(f"\n── modal: {title} ──\n" + "\n".join(lines) + "\n")

    def _entry(self, element: dict[str, Any], value: str) -> dict[str, Any] | None:
        """The state Slack would send for `value` typed into `element`; None when left empty."""
        kind = element["type"]
        if not value:
            return {"type": kind, "value": None} if kind.endswith("_input") else None
        options = element.get("options", [])

        def pick(label: str) -> dict[str, Any] | None:
            label = label.strip().lower()
            return next((o for o in options if o["text"]["text"].lower().startswith(label)), None)

        if kind == "users_select":
            return {"type": kind, "selected_user": PEOPLE.get(value.lower(), (value.upper(),))[0]}
        if kind in ("static_select", "radio_buttons"):
            return {"type": kind, "selected_option": pick(value)}
        if kind == "checkboxes":
            chosen = [o for o in (pick(v) for v in value.split(",")) if o]
            return {"type": kind, "selected_options": chosen}
        if kind == "datetimepicker":
            local = datetime.fromisoformat(value).replace(tzinfo=ZoneInfo("Europe/London"))
            return {"type": kind, "selected_date_time": int(local.timestamp())}
        return {"type": kind, "value": value}

    def submit(self, rest: str) -> None:
        """Fill the open modal's inputs in order (values split on `|`) and submit it."""
        if self.modal is None:
            self.out.write("No modal is open.\n")
            return
        inputs = [b for b in self.modal.get("blocks", []) if b.get("type") == "input"]
        values = [v.strip() for v in rest.split("|")] if inputs else []
        state: dict[str, dict[str, dict[str, Any]]] = {}
        for block, value in zip(inputs, values, strict=False):
            element = block["element"]
            try:
                entry = self._entry(element, value)
            except ValueError:
                self.out.write(f"  {block['label']['text']}: {value!r} is not a date and time\n")
                return
            if entry is not None:
                state[block["block_id"]] = {element["action_id"]: entry}
        resp = self.slack.view_submission(user=self.user_id, view=self.modal, values=state)
        parsed = resp.json() if resp.body and resp.body != "null" else None
        body: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
        action = body.get("response_action")
        if action == "errors":
            for name, error in body.get("errors", {}).items():
                self.out.write(f"  {name}: {error}\n")
            return
        if action in ("update", "push"):
            self._show_modal(body["view"])
            return
        self.modal = None

    def show_new(self, *, settle: float = 0.4, limit: float = 5.0) -> None:
        """Print what the bot did, waiting until it has been quiet for `settle` seconds."""
        deadline, quiet_since = time.monotonic() + limit, time.monotonic()
        while time.monotonic() < deadline:
            if self._drain():
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > settle:
                return
            time.sleep(0.05)

    def _drain(self) -> bool:
        calls, responses = list(self.emu.calls), list(self.emu.responses)
        new_calls, new_responses = calls[self.seen_calls :], responses[self.seen_responses :]
        self.seen_calls, self.seen_responses = len(calls), len(responses)
        for call in new_calls:
            if call.ok:
                self._show_call(call.method, call.args, getattr(call, "response", None) or {})
        for response in new_responses:
            body = response.body
            self._show_message(
                "only you can see this",
                body.get("text", ""),
                body.get("blocks") or [],
                None,
                None,
                ephemeral=True,
            )
        return bool(new_calls or new_responses)

    def _show_call(self, method: str, args: dict[str, Any], result: dict[str, Any]) -> None:
        blocks = blocks_of(args.get("blocks"))
        channel = str(args.get("channel", ""))
        where = self._where(channel)
        if method == "chat.postMessage":
            ts = result.get("ts")
            where += " (in a thread)" if args.get("thread_ts") else ""
            self._show_message(where, str(args.get("text", "")), blocks, channel, ts)
        elif method == "chat.update":
            self._show_message(
                f"{where}, message updated",
                str(args.get("text", "")),
                blocks,
                channel,
                str(args.get("ts")),
            )
        elif method == "chat.postEphemeral":
            self._show_message(
                f"{where}, only {self.name_of(str(args.get('user')))} sees this",
                str(args.get("text", "")),
                blocks,
                channel,
                None,
                ephemeral=True,
            )
        elif method in ("views.open", "views.push", "views.update"):
            self._show_modal(result.get("view") or json_of(args.get("view")))
        elif method == "views.publish":
            view = json_of(args.get("view"))
            self._show_message(
                f"App Home of {self.name_of(str(args.get('user_id')))}",
                "",
                view.get("blocks", []),
                None,
                None,
            )

    def _where(self, channel: str) -> str:
        if channel == GENERAL:
            return "#general"
        for name, (uid, _) in PEOPLE.items():
            if channel in (uid, self.emu.im_channel(uid)):
                return f"DM to {name}"
        return "group DM" if channel.startswith("G") else channel

    def _show_message(
        self,
        where: str,
        text: str,
        blocks: list[dict[str, Any]],
        channel: str | None,
        ts: str | None,
        *,
        ephemeral: bool = False,
    ) -> None:
        self.out.write(f"\n── bot → {where} ──\n")

        def number(element: dict[str, Any]) -> str:
            return self._number(element, channel, ts, ephemeral)

        lines = list(render(blocks, _NAMES, number)) if blocks else [plain(text, _NAMES)]
        self.out.write("\n".join(lines) + "\n")

    def _number(
        self, element: dict[str, Any], channel: str | None, ts: str | None, ephemeral: bool
    ) -> str:
        self.buttons.append(
            Button(
                element["action_id"],
                element.get("value", ""),
                element["text"]["text"],
                channel,
                ts,
                ephemeral,
            )
        )
        return f"[{len(self.buttons)}] {element['text']['text']}"


def run_console(settings: Settings, *, script: str | None = None) -> int:
    """Start the emulation and the app, seed the roster, and read commands until /quit."""
    from bot.app import create_app
    from bot.runtime import Runtime
    from bot.server import HttpServer, wsgi_app
    from bot.services import roster

    emu = SlackEmulator(token=CONSOLE_TOKEN)
    emu.start()
    for name, (uid, _) in PEOPLE.items():
        emu.add_user(uid, name=name, real_name=name.title(), tz="Europe/London")
    for channel in (GENERAL, "CQUEUE", "CNETWORK"):
        emu.add_channel(channel)
    secret = secrets.token_hex(16)
    local = replace(
        settings,
        bot_token=CONSOLE_TOKEN,
        signing_secret=secret,
        api_url=emu.api_url,
        queue_channel=settings.queue_channel or "CQUEUE",
        network_channel=settings.network_channel or "CNETWORK",
    )
    logging.getLogger().setLevel(logging.WARNING)  # the conversation is the output
    runtime = Runtime.from_settings(local)
    with runtime.db.session() as session:
        for uid, role in PEOPLE.values():
            if roster.get(session=session, slack_user_id=uid) is None:
                roster.add(session=session, slack_user_id=uid, role=role, actor_id="console")
    server = HttpServer(wsgi_app(create_app(runtime), runtime.db), host="127.0.0.1", port=0)
    threading.Thread(target=server.run, daemon=True).start()
    console = Console(
        emu=emu, slack=SlackSender(f"http://127.0.0.1:{server.port}/slack/events", secret)
    )
    console.seen_calls = len(emu.calls)
    print(
        f"{local.network_name} bot, running locally with Slack emulated "
        f"(database: {local.database_url})."
    )
    print(HELP)
    stream = open(script, encoding="utf-8") if script else sys.stdin  # noqa: SIM115
    try:
        while True:
            if not script:
                print(f"{console.user}> ", end="", flush=True)
            line = stream.readline()
            if not line:
                break
            if script:
                print(f"{console.user}> {line.rstrip()}")
            if not console.handle(line):
                break
    except KeyboardInterrupt:
        print()
    finally:
        if script:
            stream.close()
        server.close()
        runtime.close()
        emu.stop()
    return 0
