"""The command line of a national deployment, added to `bot.cli`'s parser: `champbot oauth
new-key` and `champbot report --by-force`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import Settings
from bot.db import Database

Command = Callable[[Settings, argparse.Namespace], int]


def with_national(p: argparse.ArgumentParser, sub: Any) -> argparse.ArgumentParser:
    """`p` with `champbot oauth` and `champbot report --by-force`."""
    s = sub.add_parser("oauth", help="many workspaces: installs through Slack's OAuth")
    s.add_argument("oauth_cmd", choices=["new-key"], help="print a new CHAMPBOT_ENCRYPTION_KEY")
    s.set_defaults(func=cmd_oauth)
    report = sub.choices["report"]
    report.add_argument(
        "--by-force", action="store_true", help="every force side by side, and nationally"
    )
    one_force: Command = report.get_default("func")

    def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
        return report_by_force(settings, args) if args.by_force else one_force(settings, args)

    report.set_defaults(func=cmd_report)
    return p


def cmd_oauth(settings: Settings, args: argparse.Namespace) -> int:
    """`champbot oauth new-key`: a key for CHAMPBOT_ENCRYPTION_KEY."""
    from bot.oauth.crypto import new_key

    print(new_key())  # keep it secret, and keep it: the stored tokens need it
    return 0


def _since(args: argparse.Namespace) -> datetime | None:
    from bot.cli import CliError

    try:
        zone = ZoneInfo(args.tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise CliError(f"--tz must be a time zone like Europe/London, got {args.tz!r}") from None
    if not args.since:
        return None
    try:  # a day in the report's zone: from its midnight there
        day = date.fromisoformat(args.since)
    except ValueError:
        raise CliError(f"--since must be a date like 2026-11-01, got {args.since!r}") from None
    return datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)


def report_by_force(settings: Settings, args: argparse.Namespace) -> int:
    """Every force side by side, and nationally (the operator's view of the deployment)."""
    from bot import national_report
    from bot.services import national

    since = _since(args)
    db = Database(settings.database_url)
    db.ensure_schema()
    found = national.figures(db=db, since=since)
    period = f"since {args.since}" if args.since else "all time"
    title = f"{settings.network_name}: every force, {period} ({len(found.forces)} forces)"
    print(national_report.table(found, title=title))
    if args.csv:
        national_report.write_csv(found, Path(args.csv))
    return 0
