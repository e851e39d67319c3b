"""Times on Slack surfaces: date tokens each client localises, fallbacks that name their zone."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.models import Role
from bot.services import roster
from tests.conftest import CHAMPION, LEAD, OFFICER, RunningApp
from tests.e2e.helpers import ok_calls, posts_to, responses, text_of

LIVE = "my victim says her ex keeps turning up at her work, what should i charge him with"
TOKEN = re.compile(r"<!date\^(\d+)\^([^|>]*)\|([^>]*)>")
FAR_CHAMPION = "UCHAMP7"  # a champion in another time zone


def _tokens(text: str) -> list[tuple[int, str, str]]:
    return [(int(s), fmt, fallback) for s, fmt, fallback in TOKEN.findall(text)]


def _every_surface(app: RunningApp) -> str:
    methods = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish")
    out = [text_of(c) for m in methods for c in ok_calls(app, m)]
    out += [json.dumps(c.args.get("view")) for c in ok_calls(app, "views.publish")]
    out += [json.dumps(r.body) for r in app.emu.responses]
    return "\n".join(out)


def test_times_are_slack_date_tokens_with_fallbacks_in_a_named_zone(app: RunningApp) -> None:
    app.emu.add_user(FAR_CHAMPION, name="kiri", real_name="Kiri", tz="Pacific/Auckland")
    with app.runtime.db.session() as s:
        roster.add(session=s, slack_user_id=CHAMPION, role=Role.CHAMPION)
        roster.add(session=s, slack_user_id=FAR_CHAMPION, role=Role.CHAMPION)
        roster.add(session=s, slack_user_id=LEAD, role=Role.LEAD)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=LIVE)
    card = posts_to(app, "CQUEUE", "claim by")
    ((stamp, fmt, fallback),) = _tokens(text_of(card))
    london = datetime.fromtimestamp(stamp, UTC).astimezone(ZoneInfo("Europe/London"))
    assert fmt == "{time}"
    assert fallback == f"{london:%H:%M} {london:%Z}" and london.tzname() in ("GMT", "BST")

    app.slack.home_opened(user=OFFICER, channel=app.im(OFFICER))
    home = app.emu.wait_for(lambda e: ok_calls(app, "views.publish"))
    (asked,) = _tokens(json.dumps(home[0].args["view"]))
    assert asked[1] == "{date_short_pretty} at {time}" and asked[2].endswith(london.tzname())

    # A champion's own zone, from their Slack profile, names the fallback of their away time.
    app.slack.command(
        "/champion",
        "away until 3h",
        user=FAR_CHAMPION,
        channel="CGENERAL",
        response_url=app.emu.response_url("away"),
    )
    (away,) = _tokens(responses(app)[0].body["text"])
    auckland = datetime.fromtimestamp(away[0], UTC).astimezone(ZoneInfo("Pacific/Auckland"))
    day = f"{auckland:%a} {auckland.day} {auckland:%b %Y}"
    assert away[2] == f"{day} at {auckland:%H:%M} {auckland:%Z}"

    # No surface labels a time "UTC", or names a zone in brackets beside another's label.
    everything = _every_surface(app)
    assert "UTC" not in everything and "(Europe/London)" not in everything
