"""The figures: one computation behind `/champbot stats`, App Home and `champbot report`,
champions by name and entries by title, each request counted once."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from bot.models import Role, utcnow
from bot.report import write_report
from bot.services import requests, roster
from tests.conftest import CHAMPION, LEAD, OFFICER, SERVICE_SETTINGS, RunningApp
from tests.e2e.admin_helpers import champbot
from tests.e2e.helpers import ok_calls, posts_to

CLAIM_LINE = re.compile(r"time to a champion: [^\\\n\"*]*")
STATES_LINE = re.compile(r"\d+ waiting, \d+ with a champion, \d+ resolved, \d+ cancelled")


def seed(app: RunningApp) -> None:
    """Three requests made an hour ago: one taken after 20 s and resolved, one taken after 40 s
    and still held, one still waiting (median time to a champion: 30 s)."""
    start = utcnow() - timedelta(hours=1)
    with app.runtime.db.session() as s:
        roster.add(session=s, slack_user_id=CHAMPION, role=Role.CHAMPION)
        roster.add(session=s, slack_user_id=LEAD, role=Role.LEAD)
        made = [
            requests.create(
                session=s,
                settings=SERVICE_SETTINGS,
                asker_id=OFFICER,
                text="he follows her",
                now=start,
            )[0].id
            for _ in range(3)
        ]
        for rid, seconds in zip(made[:2], (20, 40), strict=True):
            requests.claim(
                session=s,
                settings=SERVICE_SETTINGS,
                request_id=rid,
                champion_id=CHAMPION,
                caller=roster.get(session=s, slack_user_id=CHAMPION),
                now=start + timedelta(seconds=seconds),
            )
        requests.resolve(
            session=s,
            settings=SERVICE_SETTINGS,
            request_id=made[0],
            user_id=CHAMPION,
            caller=roster.get(session=s, slack_user_id=CHAMPION),
            outcome="advised",
            now=start + timedelta(minutes=10),
        )


def test_stats_home_and_report_show_the_same_figures(app: RunningApp) -> None:
    seed(app)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text="what is an spo")
    posts_to(app, app.im(OFFICER), "Stalking Protection Order")

    stats = json.dumps(champbot(app, LEAD, "stats"))
    app.slack.home_opened(user=LEAD, channel=app.im(LEAD))
    home = json.dumps(app.emu.wait_for(lambda e: ok_calls(app, "views.publish"))[0].args["view"])
    with app.runtime.db.session() as s:
        report = write_report(session=s, since=None, csv_path=None, png_path=None)

    claim = {CLAIM_LINE.search(text).group(0) for text in (stats, home, report)}  # type: ignore[union-attr]
    assert claim == {"time to a champion: median 30 s, 90th percentile 38 s (2 reached one)"}
    states = {STATES_LINE.search(text).group(0) for text in (stats, home, report)}  # type: ignore[union-attr]
    assert states == {"1 waiting, 1 with a champion, 1 resolved, 0 cancelled"}

    # Champions by the name Slack shows, entries by title; never a raw ID.
    assert "Resolved per champion: chris 1" in stats and CHAMPION not in stats
    assert "What is a Stalking Protection Order? (1)" in stats
    assert "resolved per champion: Champion A 1" in report and CHAMPION not in report
