"""Configuration from the environment (and a `.env` file), read in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DIGEST = "mon 08:00 Europe/London"
DEFAULT_REPORT_CRON = "0 8 1 * *"  # 08:00 on the first of each month
DEFAULT_REPORT_ZONE = "Europe/London"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line for an operator."""


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class DigestTime:
    """When the weekly digest goes: a day of the week and a time of day in a time zone."""

    day: str
    hour: int
    minute: int
    zone: str


_OFF = ("off", "0", "false", "no")


def _encodings_cache(env: Mapping[str, str], value: str | None) -> Path | None:
    """Where the knowledge search keeps its sentence encodings between runs: CHAMPBOT_CACHE_DIR,
    else the user's cache directory; None for "off"."""
    if value and value.lower() == "off":
        return None
    if value:
        return Path(value)
    home = env.get("XDG_CACHE_HOME", "").strip()
    return (Path(home) if home else Path.home() / ".cache") / "champbot"


def _switch(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    """An on/off setting: on, off, true, false, yes, no, 1, 0 (any case); else one line."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("on", "1", "true", "yes"):
        return True
    if raw in _OFF:
        return False
    raise ConfigError(f"{name} must be on or off, got {raw!r}")


def parse_digest(value: str) -> DigestTime | None:
    """`"mon 08:00"` (Europe/London) or `"fri 16:30 Europe/London"`; None for `"off"`."""
    words = value.strip().lower().split()
    if words == ["off"]:
        return None
    problem = ConfigError(
        f"CHAMPBOT_DIGEST_CRON must look like 'mon 08:00' (a day, a 24-hour time and "
        f"optionally a time zone such as Europe/London) or 'off', got {value!r}"
    )
    if len(words) not in (2, 3) or words[0][:3] not in DAYS:
        raise problem
    hours, _, minutes = words[1].partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise problem
    zone = value.split()[2] if len(words) == 3 else "Europe/London"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise problem from None
    return DigestTime(words[0][:3], int(hours), int(minutes), zone)


def _digest(value: str) -> str:
    parse_digest(value)  # fail at start-up, with one line, rather than at the first digest
    return value


@dataclass(frozen=True)
class ReportCron:
    """When the monthly impact summary goes to the leads: a crontab line in a time zone."""

    expression: str
    zone: str


def parse_report_cron(value: str) -> ReportCron | None:
    """`"0 8 1 * *"` (five crontab fields, in Europe/London), optionally followed by a time zone
    (`"0 8 1 * * Europe/London"`); None for `"off"`. APScheduler reads the fields."""
    from apscheduler.triggers.cron import CronTrigger

    words = value.split()
    if [w.lower() for w in words] == ["off"]:
        return None
    problem = ConfigError(
        "CHAMPBOT_REPORT_CRON must be five crontab fields such as '0 8 1 * *' (08:00 on the "
        f"first of each month), optionally followed by a time zone, or 'off'; got {value!r}"
    )
    if len(words) not in (5, 6):
        raise problem
    zone = words[5] if len(words) == 6 else DEFAULT_REPORT_ZONE
    expression = " ".join(words[:5])
    try:
        CronTrigger.from_crontab(expression, timezone=ZoneInfo(zone))
    except (ValueError, ZoneInfoNotFoundError):
        raise problem from None
    return ReportCron(expression, zone)


def _report_cron(value: str) -> str:
    parse_report_cron(value)  # fail at start-up rather than on the first of the month
    return value


@dataclass(frozen=True)
class Settings:
    """Every setting the bot reads; see the README for what each one means."""

    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL
    database_url: str = "sqlite:///champbot.db"
    port: int = 3000
    network_channel: str | None = None
    queue_channel: str | None = None
    offer_timeout: int = 600
    claim_sla: int = 1800
    urgent_sla: int = 600
    kb_dir: Path = Path("knowledge")
    retention_days: int = 90
    # At retention, the bot also edits its own Slack messages that quoted the purged text.
    redact_slack: bool = True
    sweep_seconds: int = 15
    inbox_claim_seconds: int = 60
    repeat_seconds: int = 2
    network_name: str = "Stalking Champions"
    subject: str = "stalking and harassment"
    log_level: str = "INFO"
    ack_reminder_hours: int = 48
    digest_cron: str = DEFAULT_DIGEST
    semantic: bool = True
    encoder_dir: Path | None = None
    encodings_cache: Path | None = None
    cpd_hours_per_year: int = 6
    cpd_reminder_days: int = 30
    report_cron: str = DEFAULT_REPORT_CRON
    report_min_count: int = 5
    delivery_lease: int = 60
    # Many workspaces through Slack's OAuth install (set SLACK_CLIENT_ID; see bot/oauth).
    client_id: str | None = None
    client_secret: str | None = None
    encryption_key: str | None = None
    redirect_uri: str | None = None
    # Who hears of knowledge entries past review (empty: each entry's owner, else the leads).
    kb_review_owners: tuple[str, ...] = ()

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, dotenv: str | Path | None = ".env"
    ) -> Settings:
        """Read settings from `environ` (default: the process environment) over a `.env` file."""
        env: dict[str, str] = {}
        if dotenv is not None and Path(dotenv).is_file():
            env.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        env.update(os.environ if environ is None else environ)

        api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
        if not api_url.endswith("/"):
            api_url += "/"  # slack_sdk joins method names onto the base URL
        if not api_url.startswith(("http://", "https://")):
            raise ConfigError(f"SLACK_API_URL must be an http(s) URL, got {api_url!r}")

        def opt(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        return cls(
            bot_token=opt("SLACK_BOT_TOKEN"),
            signing_secret=opt("SLACK_SIGNING_SECRET"),
            app_token=opt("SLACK_APP_TOKEN"),
            api_url=api_url,
            database_url=opt("DATABASE_URL") or "sqlite:///champbot.db",
            port=_int(env, "PORT", 3000, minimum=0),
            network_channel=opt("CHAMPBOT_NETWORK_CHANNEL"),
            queue_channel=opt("CHAMPBOT_QUEUE_CHANNEL"),
            offer_timeout=_int(env, "CHAMPBOT_OFFER_TIMEOUT", 600, minimum=1),
            claim_sla=_int(env, "CHAMPBOT_CLAIM_SLA", 1800, minimum=1),
            urgent_sla=_int(env, "CHAMPBOT_URGENT_SLA", 600, minimum=1),
            kb_dir=Path(opt("CHAMPBOT_KB_DIR") or "knowledge"),
            retention_days=_int(env, "CHAMPBOT_RETENTION_DAYS", 90, minimum=1),
            redact_slack=_switch(env, "CHAMPBOT_REDACT_SLACK", default=True),
            sweep_seconds=_int(env, "CHAMPBOT_SWEEP_SECONDS", 15, minimum=1),
            inbox_claim_seconds=_int(env, "CHAMPBOT_INBOX_CLAIM_SECONDS", 60, minimum=1),
            repeat_seconds=_int(env, "CHAMPBOT_REPEAT_SECONDS", 2, minimum=0),
            network_name=opt("CHAMPBOT_NETWORK_NAME") or "Stalking Champions",
            subject=opt("CHAMPBOT_SUBJECT") or "stalking and harassment",
            log_level=(opt("CHAMPBOT_LOG_LEVEL") or "INFO").upper(),
            ack_reminder_hours=_int(env, "CHAMPBOT_ACK_REMINDER_HOURS", 48, minimum=1),
            digest_cron=_digest(opt("CHAMPBOT_DIGEST_CRON") or DEFAULT_DIGEST),
            semantic=(opt("CHAMPBOT_SEMANTIC") or "on").lower() not in _OFF,
            encoder_dir=Path(d) if (d := opt("CHAMPBOT_ENCODER_DIR")) else None,
            encodings_cache=_encodings_cache(env, opt("CHAMPBOT_CACHE_DIR")),
            cpd_hours_per_year=_int(env, "CHAMPBOT_CPD_HOURS_PER_YEAR", 6, minimum=0),
            cpd_reminder_days=_int(env, "CHAMPBOT_CPD_REMINDER_DAYS", 30, minimum=1),
            report_cron=_report_cron(opt("CHAMPBOT_REPORT_CRON") or DEFAULT_REPORT_CRON),
            report_min_count=_int(env, "CHAMPBOT_REPORT_MIN_COUNT", 5, minimum=1),
            delivery_lease=_int(env, "CHAMPBOT_DELIVERY_LEASE", 60, minimum=1),
            client_id=opt("SLACK_CLIENT_ID"),
            client_secret=opt("SLACK_CLIENT_SECRET"),
            encryption_key=opt("CHAMPBOT_ENCRYPTION_KEY"),
            redirect_uri=opt("SLACK_REDIRECT_URI"),
            kb_review_owners=tuple(
                o
                for o in (x.strip() for x in (opt("CHAMPBOT_KB_REVIEW_OWNERS") or "").split(","))
                if o
            ),
        )

    def sla_for(self, *, immediate_risk: bool) -> int:
        """Seconds before an unclaimed request escalates: shorter where there is immediate risk."""
        return self.urgent_sla if immediate_risk else self.claim_sla

    @property
    def multi_workspace(self) -> bool:
        """Whether the app serves many workspaces, each installed through OAuth
        (SLACK_CLIENT_ID set), rather than one workspace with SLACK_BOT_TOKEN."""
        return self.client_id is not None

    @property
    def oauth_authorize_url(self) -> str:
        """Slack's consent page, beside the Web API (the local emulation's in tests)."""
        return self.api_url.removesuffix("api/") + "oauth/v2/authorize"

    def require_http(self) -> None:
        """Fail with one line unless the settings needed to serve Slack over HTTP are present."""
        if self.multi_workspace:
            self.require_oauth()
        else:
            self._require_bot_token()
        if not self.signing_secret:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set: copy it from your Slack app's "
                "Basic Information page"
            )

    def require_oauth(self) -> None:
        """Fail with one line unless the settings for many workspaces are present: the
        client's secret, the signing secret and a well-formed encryption key."""
        if self.bot_token:
            raise ConfigError(
                "set SLACK_CLIENT_ID (many workspaces, installed through OAuth) or "
                "SLACK_BOT_TOKEN (one workspace), not both"
            )
        if not self.client_secret:
            raise ConfigError(
                "SLACK_CLIENT_SECRET is not set: copy it from your Slack app's Basic Information "
                "page (SLACK_CLIENT_ID is set, so the app installs through OAuth)"
            )
        if not self.encryption_key:
            raise ConfigError(
                "CHAMPBOT_ENCRYPTION_KEY is not set: installation tokens are stored encrypted; "
                "make a key with `champbot oauth new-key`"
            )
        from bot.oauth.crypto import cipher  # one-line error for a malformed key

        cipher(self.encryption_key)

    def require_socket(self) -> None:
        """Fail with one line unless the settings needed for Socket Mode are present."""
        self._require_bot_token()
        if not self.app_token or not self.app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN (xapp-…) is not set: Socket Mode needs an app token")

    def _require_bot_token(self) -> None:
        if not self.bot_token:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set: install the app to your workspace and export its "
                "xoxb-… token (or run `champbot console` to try the bot without Slack)"
            )
        if not self.bot_token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
