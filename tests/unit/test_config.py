"""Configuration: defaults, parsing and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings


def test_defaults_follow_the_contract() -> None:
    s = Settings.from_env({}, dotenv=None)
    assert s.api_url == "https://slack.com/api/"
    assert s.database_url == "sqlite:///champbot.db"
    assert (s.port, s.offer_timeout, s.claim_sla, s.retention_days, s.sweep_seconds) == (
        3000,
        600,
        1800,
        90,
        15,
    )
    assert s.network_name == "Stalking Champions" and s.subject == "stalking and harassment"
    assert s.kb_dir == Path("knowledge")


@pytest.mark.parametrize(
    ("value", "on"), [("", True), ("on", True), ("YES", True), ("off", False), ("0", False)]
)
def test_slack_redaction_at_retention_is_on_unless_switched_off(value: str, on: bool) -> None:
    s = Settings.from_env({"CHAMPBOT_REDACT_SLACK": value}, dotenv=None)
    assert s.redact_slack is on


def test_api_url_gets_its_trailing_slash() -> None:
    s = Settings.from_env({"SLACK_API_URL": "http://127.0.0.1:9/api"}, dotenv=None)
    assert s.api_url == "http://127.0.0.1:9/api/"


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=4000\nCHAMPBOT_NETWORK_NAME=Dotenv Network\n")
    s = Settings.from_env({"PORT": "5000"}, dotenv=env_file)
    assert s.port == 5000 and s.network_name == "Dotenv Network"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"PORT": "abc"}, "PORT must be a whole number"),
        ({"CHAMPBOT_OFFER_TIMEOUT": "0"}, "at least 1"),
        ({"SLACK_API_URL": "ftp://x/"}, "http(s) URL"),
        ({"CHAMPBOT_REDACT_SLACK": "maybe"}, "CHAMPBOT_REDACT_SLACK must be on or off"),
    ],
)
def test_bad_values_are_one_line_errors(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env, dotenv=None)


def test_missing_secrets_are_clear_and_never_echoed() -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is not set"):
        Settings.from_env({}, dotenv=None).require_http()
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is not set"):
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}, dotenv=None).require_http()
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxp-secret-value"}, dotenv=None).require_http()
    assert "secret-value" not in str(err.value)
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}, dotenv=None).require_socket()
