"""A multi-workspace deployment over real HTTP: the real app (SLACK_CLIENT_ID set) served by
waitress, talking to an emulation of Slack with several workspaces, installed into each
through the install page as an admin's browser would."""

from __future__ import annotations

import html
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.config import Settings
from bot.db import Database
from bot.emulator import SlackEmulator
from bot.knowledge import KnowledgeBase
from bot.runtime import Runtime
from bot.slack_requests import SlackSender
from tests.conftest import KB_DIR, SIGNING_SECRET

KEY = Fernet.generate_key().decode()
OAUTH_TABLES = ("slack_installations", "slack_bots", "slack_oauth_states")


def clear_installations(db: Database) -> None:
    """Empty slack_sdk's tables (the shared `db` fixture empties the app's own)."""
    with db.engine.begin() as conn:
        for table in OAUTH_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))


def multi_settings(emu: SlackEmulator, db: Database, **overrides: str) -> Settings:
    env = {
        "SLACK_CLIENT_ID": emu.client_id,
        "SLACK_CLIENT_SECRET": emu.client_secret,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "CHAMPBOT_ENCRYPTION_KEY": KEY,
        "SLACK_API_URL": emu.api_url,
        "DATABASE_URL": db.url,
        "CHAMPBOT_KB_DIR": str(KB_DIR),
        "CHAMPBOT_QUEUE_CHANNEL": "CQUEUE",
        "CHAMPBOT_NETWORK_CHANNEL": "CNETWORK",
    }
    env.update(overrides)
    return Settings.from_env(env, dotenv=None)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=30) as resp:
            return resp.status, dict(resp.headers.items()), resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read().decode()


@dataclass
class Deployment:
    """The running app, its runtime and the emulation it talks to."""

    runtime: Runtime
    emu: SlackEmulator
    base_url: str
    senders: dict[str, SlackSender] = field(default_factory=dict)

    def slack(self, team_id: str) -> SlackSender:
        """Signed requests from workspace `team_id`."""
        if team_id not in self.senders:
            self.senders[team_id] = SlackSender(
                self.base_url + "/slack/events",
                SIGNING_SECRET,
                team_id=team_id,
                bot_user_id=self.emu.bot_user(team_id),
            )
        return self.senders[team_id]

    def install(self, team_id: str) -> tuple[int, str]:
        """An admin of `team_id` (or org E…) installs the app: the install page, Slack's consent
        page, the redirect back. The redirect's (status, body)."""
        status, headers, page = _get(self.base_url + "/slack/install")
        assert status == 200, page
        cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
        found = re.search(r'href="([^"]*/oauth/v2/authorize\?[^"]*)"', page)
        assert found, page
        consent = html.unescape(found.group(1)) + f"&team={team_id}"
        status, headers, body = _get(consent)
        assert status == 302, body
        status, _, body = _get(headers["Location"], {"Cookie": cookie})
        return status, body


@contextmanager
def deployment(
    db: Database,
    kb: KnowledgeBase,
    *,
    workspaces: Iterable[str],
    prepare: Callable[[SlackEmulator], None] | None = None,
    **overrides: str,
) -> Iterator[Deployment]:
    """A fresh emulation with `workspaces` (the app installed in none of them yet) and the app
    serving them; `prepare` adds users, channels, limits before the app starts."""
    from bot.app import create_app
    from bot.server import HttpServer, wsgi_app

    clear_installations(db)
    emu = SlackEmulator(token="xoxb-default-workspace-unused")
    emu.start()
    for team in workspaces:
        emu.add_workspace(team, name=f"Force {team}")
    if prepare is not None:
        prepare(emu)
    # The app opens no session without naming its workspace (`Database.strict`).
    runtime = Runtime(settings=multi_settings(emu, db, **overrides), db=db.strict(), kb=kb)
    executor = ThreadPoolExecutor(max_workers=8)
    bolt = create_app(runtime, executor=executor)
    server = HttpServer(wsgi_app(bolt, db), host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.port}"
    emu.configure_oauth(redirect_uris=(base + "/slack/oauth_redirect",))
    try:
        yield Deployment(runtime, emu, base)
    finally:
        server.close()
        executor.shutdown(wait=True)
        runtime.close()
        emu.stop()
        clear_installations(db)
