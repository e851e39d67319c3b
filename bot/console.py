"""`champbot console`: the real app, real handlers and database, with Slack emulated locally,
driven from the terminal. Type as an officer; `/help` lists what else you can do."""

from __future__ import annotations

import logging
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TextIO
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.console_clock import ConsoleClock, ConsoleScheduler, parse_duration
from bot.console_forms import ConsoleForms
from bot.console_people import CHANNELS, GENERAL, IDS, NAMES, PEOPLE, ZONE, help_text
from bot.console_text import Markup, blocks_of, json_of, mentions
from bot.emulator import SlackEmulator
from bot.slack_requests import SlackSender

if TYPE_CHECKING:
    from bot.runtime import Runtime

CONSOLE_TOKEN = "xoxb-console"
BANNER = (
    "Type a question and press Enter to send it to the bot as a direct message; "
    "/help lists the rest."
)
ESCAPED_COMMANDS = ("/champbot", "/champion")  # the manifest's should_escape commands


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
class Console(ConsoleForms):
    """The terminal session: who you are, what has been shown, the buttons on screen, the forms
    open (a stack, as Slack keeps pushed views), the consults, and the clock."""

    emu: SlackEmulator
    slack: SlackSender
    out: TextIO = field(default_factory=lambda: sys.stdout)  # the one at start, not import
    user: str = "olivia"
    clock: ConsoleClock = field(default_factory=ConsoleClock)
    scheduler: ConsoleScheduler | None = None
    # Blocks until the bot has finished what it was handed (its work and its deliveries), so
    # that what a line caused is printed under that line however busy the machine is.
    settled: Callable[[], object] | None = None
    buttons: list[Button] = field(default_factory=list)
    seen_calls: int = 0
    seen_responses: int = 0
    modals: list[dict[str, Any]] = field(default_factory=list)
    consults: dict[str, set[str]] = field(default_factory=dict)  # group DM → its members
    _modal_changed: bool = False

    def __post_init__(self) -> None:
        self.markup = Markup(NAMES, zone=ZONE, clock=self.clock)

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
            self.slack.mention(user=self.user_id, channel=GENERAL, text=mentions(rest, IDS))
        elif word == "/say":
            self.say(rest)
        elif word.startswith("/"):
            self.command(word, rest)
        else:
            self.slack.dm(
                user=self.user_id,
                channel=self.emu.im_channel(self.user_id),
                text=mentions(line, IDS),
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
        text = mentions(rest, IDS) if word in ESCAPED_COMMANDS else rest
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
        text = mentions(rest.strip(), IDS)
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

    def show_new(self, *, settle: float | None = None, limit: float = 5.0) -> None:
        """Print what the bot did, waiting until it has been quiet for `settle` seconds (less
        when the bot can say it has finished); the form on top is printed once, as it stands
        when the bot has finished with it."""
        if settle is None:
            settle = 0.4 if self.settled is None else 0.1
        if self.settled is not None:
            self.settled()
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
    runtime.start()
    with runtime.db.session(runtime.home) as session:
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
        settled=lambda: _settle(runtime),
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


def _settle(runtime: Runtime, limit: float = 10.0) -> None:
    # work hands deliveries over, and a delivery can be what the next unit of work waits on
    for _ in range(3):
        idle = runtime.work_pool.wait_idle(limit)
        if runtime.worker.wait_idle(limit) and idle and runtime.work_pool.wait_idle(0):
            return
