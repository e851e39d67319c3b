"""Installing from the deployment's install page (Slack's OAuth v2 flow, over real HTTP), tokens
encrypted at rest, a wrong or missing key refused at start with one line."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from bot.config import ConfigError
from bot.db import Database
from bot.knowledge import KnowledgeBase
from bot.oauth.crypto import WrongKey, new_key
from tests.national.deployment import OAUTH_TABLES, deployment, multi_settings


def _raw(db: Database) -> str:
    """Every value of every row of slack_sdk's tables, as one string."""
    out = []
    with db.engine.connect() as conn:
        for table in OAUTH_TABLES:
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                out.extend(str(v) for v in row)
    return " ".join(out)


def test_two_workspaces_install_and_each_token_is_stored_encrypted(
    db: Database, kb: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("", "slack_sdk", "slack_bolt", "champbot"):
        caplog.set_level(logging.DEBUG, logger=name)
    # DEBUG: slack_sdk then logs every request's fields and every answer's body.
    with deployment(db, kb, workspaces=["TFORCEA", "TFORCEB"], CHAMPBOT_LOG_LEVEL="DEBUG") as live:
        for team in ("TFORCEA", "TFORCEB"):
            status, body = live.install(team)
            assert status == 200, body
        tokens = {t: live.emu.bot_token(t) for t in ("TFORCEA", "TFORCEB")}
        assert all(tokens.values()) and tokens["TFORCEA"] != tokens["TFORCEB"]
        exchanges = live.emu.find_calls("oauth.v2.access", ok=True)
        assert len(exchanges) == 2
        store = live.runtime.installation_store
        assert store is not None
        for team, token in tokens.items():
            bot = store.find_bot(enterprise_id=None, team_id=team)
            assert bot is not None and bot.bot_token == token
            assert live.runtime.clients.token(team, None) == token
        raw = _raw(db)
        assert "TFORCEA" in raw  # the rows are there, with their workspaces
        for token in tokens.values():
            assert token is not None and token not in raw
        assert "xoxb-" not in raw
        # Not in any log either, though slack_sdk logs oauth.v2.access's answer at DEBUG.
        logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
        assert "oauth.v2.access" in logged  # the answers were logged, redacted
        assert live.emu.client_secret not in logged
        for token in tokens.values():
            assert token is not None and token not in logged


def test_a_reused_code_or_a_forged_state_installs_nothing(db: Database, kb: KnowledgeBase) -> None:
    with deployment(db, kb, workspaces=["TFORCEA"]) as live:
        code = live.emu.issue_code("TFORCEA")
        status, _ = _get(f"{live.base_url}/slack/oauth_redirect?code={code}&state=forged")
        assert status != 200
        store = live.runtime.installation_store
        assert store is not None
        assert store.find_bot(enterprise_id=None, team_id="TFORCEA") is None
        assert not live.emu.find_calls("oauth.v2.access")


def _get(url: str) -> tuple[int, str]:
    from tests.national.deployment import _get as get

    status, _, body = get(url)
    return status, body


def test_a_wrong_key_is_one_line_at_start(db: Database, kb: KnowledgeBase) -> None:
    from bot.app import create_app
    from bot.runtime import Runtime

    with deployment(db, kb, workspaces=["TFORCEA"]) as live:
        assert live.install("TFORCEA")[0] == 200
        other = multi_settings(live.emu, db, CHAMPBOT_ENCRYPTION_KEY=new_key())
        with pytest.raises(WrongKey) as err:
            create_app(Runtime(settings=other, db=db, kb=kb))
        assert "\n" not in str(err.value) and "CHAMPBOT_ENCRYPTION_KEY" in str(err.value)
        # Rotating: the new key first, the old one after it, reads the stored tokens.
        rotated = f"{new_key()},{live.runtime.settings.encryption_key}"
        again = multi_settings(live.emu, db, CHAMPBOT_ENCRYPTION_KEY=rotated)
        rotated_runtime = Runtime(settings=again, db=db, kb=kb)
        create_app(rotated_runtime)
        assert rotated_runtime.clients.token("TFORCEA", None) == live.emu.bot_token("TFORCEA")
        rotated_runtime.close()


def test_champbot_serve_with_a_wrong_key_exits_with_one_line(
    db: Database,
    kb: KnowledgeBase,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: object,
) -> None:
    from bot.cli import main

    with deployment(db, kb, workspaces=["TFORCEA"]) as live:
        assert live.install("TFORCEA")[0] == 200
        env = multi_settings(live.emu, db)
        monkeypatch.chdir(str(tmp_path))  # no .env of the developer's
        for name, value in {
            "SLACK_CLIENT_ID": env.client_id,
            "SLACK_CLIENT_SECRET": env.client_secret,
            "SLACK_SIGNING_SECRET": "x",
            "SLACK_API_URL": env.api_url,
            "DATABASE_URL": db.url,
            "CHAMPBOT_KB_DIR": str(env.kb_dir),
            "CHAMPBOT_SEMANTIC": "off",
            "CHAMPBOT_ENCRYPTION_KEY": new_key(),
        }.items():
            monkeypatch.setenv(name, str(value))
        monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
        assert main(["serve", "--port", "0"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "does not decrypt" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("key", "needle"),
    [("", "CHAMPBOT_ENCRYPTION_KEY is not set"), ("not-a-key", "is not a Fernet key")],
)
def test_a_missing_or_malformed_key_is_one_line(key: str, needle: str) -> None:
    from bot.config import Settings

    settings = Settings.from_env(
        {
            "SLACK_CLIENT_ID": "1.2",
            "SLACK_CLIENT_SECRET": "s",
            "SLACK_SIGNING_SECRET": "x",
            "CHAMPBOT_ENCRYPTION_KEY": key,
        },
        dotenv=None,
    )
    with pytest.raises(ConfigError, match=needle) as err:
        settings.require_http()
    assert "\n" not in str(err.value) and "not-a-key" not in str(err.value)


def test_champbot_oauth_new_key_prints_a_key_the_app_accepts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli import main
    from bot.oauth.crypto import cipher

    assert main(["oauth", "new-key"]) == 0
    key = capsys.readouterr().out.strip()
    sealed = cipher(key)
    assert sealed.decrypt(sealed.encrypt("xoxb-1-2-3")) == "xoxb-1-2-3"
