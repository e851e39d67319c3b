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
from bot.console_clock import ConsoleClock, ConsoleScheduler, parse_duration
from bot.console_text import Markup, blocks_of, json_of, mentions
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
CHANNELS = {GENERAL: "general", "CQUEUE": "queue", "CNETWORK": "network"}
ZONE = "Europe/London"  # everyone in the console lives here, as the emulation's profiles say
BANNER = (
    "Type a question and press Enter to send it to the bot as a direct message; "
    "/help lists the rest."
)
CONSOLE_HELP = """\
The console:
  /as NAME          switch who you are (olivia, omar: officers; chris, cara: champions;
                    lena: lead; adam: admin)      /who   list the people
  /click N          press button N in [brackets] (or /click LABEL: the latest so labelled)
  /submit A | B     fill in the open form's fields in order and send it
  /back             go back to the form under this one (*Back* on a preview)
  /close            cancel the form
  /home             open your App Home tab
  /mention TEXT     mention the bot in #general
  /say TEXT         write in your latest consult (the group DM with your champion or officer)
  /wait 10m         move the clock on (30s, 10m, 2h, 1d) and run what came due
  /time             the console's time
  /quit             leave
Type @name for a person (@chris) as in Slack.
"""
# The bot's own commands, by who may use them (the policy refuses the rest).
ROLE_HELP = {
    Role.OFFICER: """\
As an officer:
  TEXT              ask the bot a question (a direct message)
  /ask TEXT         ask a question, answered where you typed it
  /faq TEXT         search the knowledge base only
  /champbot help    what the bot does
""",
    Role.CHAMPION: """\
As a champion:
  /champion on | off              go on or off duty
  /champion away until friday     away until a time (also: away for 3h)
  /champion status                your availability and your requests
  /champion area AREA             your area;  /champion skills a,b   your skills
  /ask TEXT, /faq TEXT, TEXT      ask as an officer would
""",
    Role.LEAD: """\
As a lead:
  /broadcast                      write a broadcast to the network (a form)
  /broadcast list                 scheduled and recent broadcasts
  /champbot stats                 the network's figures
  /champbot unanswered            questions the knowledge base could not answer
  /ask TEXT, /faq TEXT, TEXT      ask as an officer would
""",
    Role.ADMIN: """\
As an admin:
  /champbot roster list                               who is on the roster
  /champbot roster add @name officer|champion|lead|admin   add someone or change a role
  /champbot roster remove @name                       take someone off
  /champbot stats, /champbot unanswered               the figures
  /ask TEXT, /faq TEXT, TEXT                          ask as an officer would
""",
}
ESCAPED_COMMANDS = ("/champbot", "/champion")  # the manifest's should_escape commands

_NAMES = {uid: name for name, (uid, _) in PEOPLE.items()} | CHANNELS
_IDS = {name: uid for name, (uid, _) in PEOPLE.items()}


def help_text(role: Role) -> str:
    """`/help`: the console's own commands, then the bot's for this role."""
    return CONSOLE_HELP + "\n" + ROLE_HELP[role]


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
    """The terminal session: who you are, what has been shown, the buttons on screen, the forms
    open (a stack, as Slack keeps pushed views), the consults, and the clock."""

    emu: SlackEmulator
    slack: SlackSender
    out: TextIO = sys.stdout
    user: str = "olivia"
    clock: ConsoleClock = field(default_factory=ConsoleClock)
    scheduler: ConsoleScheduler | None = None
    buttons: list[Button] = field(default_factory=list)
    seen_calls: int = 0
    seen_responses: int = 0
    modals: list[dict[str, Any]] = field(default_factory=list)
    consults: dict[str, set[str]] = field(default_factory=dict)  # group DM → its members
    _modal_changed: bool = False

    def __post_init__(self) -> None:
        self.markup = Markup(_NAMES, zone=ZONE, clock=self.clock)

    @property
    def modal(self) -> dict[str, Any] | None:
        """The form on top, the one `/submit` fills in."""
        return self.modals[-1] if self.modals else None

    @property
    def user_id(self) -> str:
        return PEOPLE[self.user][0]

    def name_of(self, user_id: str) -> str:
        return next((n for n, (uid, _) in PEOPLE.items() if uid == user_id), user_id)

    def handle(self, line: str) -> bool:
        """Act on one line of input; False when the user wants to leave."""
        line = line.strip()
        if not line or line.startswith("#"):  # a comment, for scripts
            return True
        word, _, rest = line.partition(" ")
        if word in ("/quit", "/exit"):
            return False
        if word == "/help":
            self.out.write(help_text(PEOPLE[self.user][1]))
        elif word == "/who":
            for name, (uid, role) in PEOPLE.items():
                self.out.write(f"  {name:<7} {uid:<8} {role.value}\n")
        elif word == "/as":
            if rest.strip().lower() in PEOPLE:
                self.user = rest.strip().lower()
                self.out.write(f"You are now {self.user} ({PEOPLE[self.user][1].value}).\n")
            else:
                self.out.write(f"Nobody called {rest!r}; try /who.\n")
        elif word == "/wait":
            self.wait(rest)
        elif word == "/time":
            self.out.write(f"It is {self._now_text()}.\n")
        elif word == "/click":
            self.click(rest)
        elif word == "/submit":
            self.submit(rest)
        elif word == "/back":
            self.back()
        elif word == "/close":
            self.modals.clear()
        elif word == "/home":
            self.slack.home_opened(user=self.user_id, channel=self.emu.im_channel(self.user_id))
        elif word == "/mention":
            self.slack.mention(user=self.user_id, channel=GENERAL, text=mentions(rest, _IDS))
        elif word == "/say":
            self.say(rest)
        elif word.startswith("/"):
            self.command(word, rest)
        else:
            self.slack.dm(
                user=self.user_id,
                channel=self.emu.im_channel(self.user_id),
                text=mentions(line, _IDS),
            )
        self.show_new()
        return True

    def _now_text(self) -> str:
        local = self.clock().astimezone(ZoneInfo(ZONE))
        return f"{local:%a} {local.day} {local:%b %Y} at {local:%H:%M} ({ZONE})"

    def wait(self, rest: str) -> None:
        """Move the clock on and run the scheduler's jobs at the new time, as the clock would."""
        try:
            by = parse_duration(rest)
        except ValueError:
            self.out.write("Wait how long? For example /wait 30s, /wait 10m, /wait 2h, /wait 1d.\n")
            return
        self.clock.advance(by)
        self.out.write(f"It is now {self._now_text()}.\n")
        if self.scheduler is not None:
            self.scheduler.run_due()

    def command(self, word: str, rest: str) -> None:
        """A slash command, as Slack sends it (names escaped where the manifest asks)."""
        text = mentions(rest, _IDS) if word in ESCAPED_COMMANDS else rest
        url = self.emu.response_url(f"console-{word[1:]}")
        resp = self.slack.command(word, text, user=self.user_id, channel=GENERAL, response_url=url)
        if resp.status == 404:
            self.out.write(f"The bot has no {word} command. Type /help.\n")

    def say(self, rest: str) -> None:
        """Write in the latest consult this person is in, as they would in Slack."""
        channel = next(
            (c for c, members in reversed(self.consults.items()) if self.user_id in members), None
        )
        if channel is None:
            self.out.write(
                "You are in no consult yet: one opens when a champion takes a request.\n"
            )
            return
        if not rest.strip():
            self.out.write("Say what? /say TEXT\n")
            return
        text = mentions(rest.strip(), _IDS)
        others = sorted(self.name_of(u) for u in self.consults[channel] - {self.user_id})
        self.out.write(f"\n── {self.user} → group DM with {', '.join(others)} ──\n")
        self.out.write(self.markup.plain(text) + "\n")
        # The app subscribes to no group DM messages, so, as in Slack, nothing is sent to it:
        # the message is in the consult for the other person to read.
        self.emu.user_message(channel, self.user_id, text)

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
        if not value:
            return {"type": kind, "value": None} if kind.endswith("_input") else None
        options = element.get("options", [])
        if kind == "users_select":
            name = value.lower().lstrip("@")
            if name not in _IDS:
                raise UnknownChoice(f"{value!r} is nobody here: {', '.join(_IDS)}")
            return {"type": kind, "selected_user": _IDS[name]}
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

    def show_new(self, *, settle: float = 0.4, limit: float = 5.0) -> None:
        """Print what the bot did, waiting until it has been quiet for `settle` seconds; the
        form on top is printed once, as it stands when the bot has finished with it."""
        deadline, quiet_since = time.monotonic() + limit, time.monotonic()
        while time.monotonic() < deadline:
            if self._drain():
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > settle:
                break
            time.sleep(0.05)
        if self._modal_changed and self.modal is not None:
            self._show_modal(self.modal)
        self._modal_changed = False

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
        if method == "conversations.open" and args.get("users"):
            opened = str((result.get("channel") or {}).get("id", ""))
            if opened.startswith(("G", "C")):
                self.consults.pop(opened, None)  # latest last, for /say
                self.consults[opened] = set(str(args["users"]).split(","))
        elif method == "chat.postMessage":
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
            self._track_view(method, args, result.get("view") or json_of(args.get("view")))
        elif method == "views.publish":
            view = json_of(args.get("view"))
            self._show_message(
                f"App Home of {self.name_of(str(args.get('user_id')))}",
                "",
                view.get("blocks", []),
                None,
                None,
            )

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

    def _where(self, channel: str) -> str:
        if channel in CHANNELS:
            return f"#{CHANNELS[channel]}"
        for name, (uid, _) in PEOPLE.items():
            if channel in (uid, self.emu.im_channel(uid)):
                return f"DM to {name}"
        if channel in self.consults:
            return "group DM with " + ", ".join(
                sorted(self.name_of(u) for u in self.consults[channel])
            )
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

        lines = list(self.markup.render(blocks, number)) if blocks else [self.markup.plain(text)]
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
        emu.add_user(uid, name=name, real_name=name.title(), tz=ZONE)
    for channel, channel_name in CHANNELS.items():
        emu.add_channel(channel, name=channel_name)
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
    # Bolt's hint for an unknown command is advice to the app's developer, not the user.
    logging.getLogger("champbot.bolt").addFilter(
        lambda record: not str(record.msg).startswith("Unhandled request")
    )
    clock = ConsoleClock()
    runtime = replace(Runtime.from_settings(local), clock=clock)
    with runtime.db.session() as session:
        for uid, role in PEOPLE.values():
            if roster.get(session=session, slack_user_id=uid) is None:
                roster.add(session=session, slack_user_id=uid, role=role, actor_id="console")
    server = HttpServer(wsgi_app(create_app(runtime), runtime.db), host="127.0.0.1", port=0)
    threading.Thread(target=server.run, daemon=True).start()
    scheduler = ConsoleScheduler(runtime)
    console = Console(
        emu=emu,
        slack=SlackSender(f"http://127.0.0.1:{server.port}/slack/events", secret),
        clock=clock,
        scheduler=scheduler,
    )
    console.seen_calls = len(emu.calls)
    print(
        f"{local.network_name} bot, running locally with Slack emulated "
        f"(database: {local.database_url})."
    )
    print(BANNER)
    scheduler.start()
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
        scheduler.shutdown()
        server.close()
        runtime.close()
        emu.stop()
    return 0
