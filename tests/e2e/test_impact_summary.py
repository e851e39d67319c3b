"""The monthly impact summary over real HTTP: two `champbot serve` processes, clocks embedded,
on PostgreSQL; each lead gets the Block Kit table once and the PDF shared after it, once, even
when Slack fails a step of the upload (the outbox retries it)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bench.seeding import Plan, seed_force
from bot.db import Database
from bot.emulator import SlackEmulator
from bot.knowledge import KnowledgeBase
from bot.models import OutboxMessage, OutboxStatus, ReportRun, Role
from bot.services import impact, roster
from tests.conftest import LEAD
from tests.conftest import SERVICE_SETTINGS as SETTINGS
from tests.e2e.processes import Process

OTHER_LEAD = "UCHAMP2"  # a second lead, so that each gets their own copy


def _last_month() -> tuple[datetime, datetime]:
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/London")).date()
    this = today.replace(day=1)
    first = (this - timedelta(days=1)).replace(day=1)
    return impact.midnight(first, "Europe/London"), impact.midnight(this, "Europe/London")


@pytest.fixture
def clocks(
    emulator: SlackEmulator, pg: Database, tmp_path: Path, kb: KnowledgeBase, encodings_cache: Path
) -> Iterator[list[Process]]:
    since, until = _last_month()
    seed_force(
        pg,
        kb,
        SETTINGS,
        Plan(since=since, until=until, questions=60, consults=15, champions=4, leads=0),
    )
    with pg.session() as s:
        for lead in (LEAD, OTHER_LEAD):
            roster.add(session=s, slack_user_id=lead, role=Role.LEAD)
        # The seeded month's own messages went long ago: only the summary is new.
        s.execute(update(OutboxMessage).values(status=OutboxStatus.SENT))
    processes = [Process(emulator, pg, tmp_path / name, encodings=encodings_cache) for name in "ab"]
    for process in processes:
        process.env["CHAMPBOT_REPORT_CRON"] = "* * * * *"  # due at once: last month's summary
    # Slack fails the first POST of a file's bytes, and the first completion: the outbox
    # must try the whole upload again, and still share each file once.
    emulator.inject("upload_url", status=503)
    emulator.inject("files.completeUploadExternal", status=500)
    try:
        for process in processes:
            process.start()
        yield processes
    finally:
        for process in processes:
            process.stop()


def _blocks(call: Any) -> list[dict[str, Any]]:
    raw = call.args.get("blocks")
    return json.loads(raw) if isinstance(raw, str) else list(raw or [])


def test_each_lead_gets_the_summary_and_its_pdf_once(
    clocks: list[Process], emulator: SlackEmulator, pg: Database
) -> None:
    def shared(e: SlackEmulator) -> list[Any] | None:
        done = e.find_calls("files.completeUploadExternal", ok=True)
        return done if len(done) >= 2 else None

    emulator.wait_for(shared, timeout=120)
    time.sleep(4)  # several more sweeps and summary runs in both processes: nothing repeats
    for lead in (LEAD, OTHER_LEAD):
        dm = emulator.im_channel(lead)
        summaries = [
            c
            for c in emulator.find_calls("chat.postMessage", ok=True)
            if c.args.get("channel") in (lead, dm) and any(b["type"] == "table" for b in _blocks(c))
        ]
        assert len(summaries) == 1, f"{lead} got {len(summaries)} summaries"
        (table,) = [b for b in _blocks(summaries[0]) if b["type"] == "table"]
        labels = [row[0]["text"] for row in table["rows"]]
        assert labels[0] == "Figure" and "Questions asked" in labels and "MARAC referral" in labels
        assert "impact summary" in summaries[0].args["text"]
        messages = emulator.messages(dm)
        files = [m for m in messages if m.get("files")]
        assert len(files) == 1, f"{lead} was sent {len(files)} files"
        # The PDF follows its summary in the same DM.
        assert float(files[0]["ts"]) > float(summaries[0].response["ts"])
        assert files[0]["files"][0]["name"].endswith(".pdf")
    uploads = [f for f in emulator.uploaded_files() if f.completed]
    assert len(uploads) == 2
    assert all(f.content and f.content.startswith(b"%PDF-") for f in uploads)
    # The failed completion was retried: three completions, one refused, two shared.
    completions = emulator.find_calls("files.completeUploadExternal")
    assert [c.ok for c in completions].count(False) == 1 and len(completions) == 3
    with pg.session() as s:
        assert s.scalar(select(func.count()).select_from(ReportRun)) == 1
        pending = s.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status != OutboxStatus.SENT)
        )
        assert pending == 0
