"""The printable impact report for a year of one force, and for 43 forces' worth of data.

Run on its own: `python bench/report.py [--runs 5] [--forces 43]`.

A year of one force (20 champions, 5,000 questions, 1,000 consults) is made through the services
(`bench/seeding.py`) in a SQLite database, then copied as forces F02…F43 into a second one. Each
run times `champbot report`'s work for the year: the figures (`bot.services.impact.build`, the
same computation as `/champbot stats`), the HTML with its charts, and the PDF. Until the database
holds a workspace per force, the 43 forces are one database's rows in one report. Prints a
Markdown table: wall and CPU seconds, medians of the runs, against the targets (5 s and 30 s).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from seeding import Plan, replicate, seed_force, year_before  # bench/ is the script's own directory

from bot.config import Settings
from bot.db import Database
from bot.knowledge import KnowledgeBase
from bot.reports import document
from bot.services import impact
from bot.tenancy import Workspace

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {1: 5.0, 43: 30.0}


def _render(db: Database, tags: dict[str, list[str]], settings: Settings) -> dict[str, float]:
    since, until = year_before(date(2026, 12, 1))
    wall, cpu = time.perf_counter(), time.process_time()
    with db.session() as session:
        report = impact.build(
            session=session, since=since, until=until, zone="Europe/London",
            network_name="Stalking Champions", tags=tags, settings=settings,
        )  # fmt: skip
    figures = time.perf_counter() - wall
    page = document.html(report)
    html = time.perf_counter() - wall - figures
    pdf = document.pdf(report, page=page)
    assert pdf.startswith(b"%PDF-")
    total = time.perf_counter() - wall
    return {
        "figures": figures,
        "html": html,
        "pdf": total - figures - html,
        "total": total,
        "cpu": time.process_time() - cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--forces", type=int, default=43)
    args = parser.parse_args()
    # One force's workspace: its year is seeded and reported in it (the 43 forces' copies too).
    Database.default_workspace = Workspace("T0001")
    settings = Settings.from_env({"CHAMPBOT_QUEUE_CHANNEL": "CQUEUE"}, dotenv=None)
    kb = KnowledgeBase.load(ROOT / "knowledge")
    tags = {e.id: list(e.tags) for e in kb.entries}
    since, until = year_before(date(2026, 12, 1))
    with tempfile.TemporaryDirectory() as tmp:
        one = Database(f"sqlite:///{tmp}/one.db")
        one.ensure_schema()
        started = time.perf_counter()
        seed_force(one, kb, settings, Plan(since=since, until=until))
        print(f"seeded one force through the services in {time.perf_counter() - started:.0f} s")
        many_path = Path(tmp) / "many.db"
        many_path.write_bytes((Path(tmp) / "one.db").read_bytes())
        many = Database(f"sqlite:///{many_path}")
        replicate(many, force="F01", copies=args.forces)
        _render(one, tags, settings)  # imports and font caches, as a long-running process has
        rows = []
        for forces, db in ((1, one), (args.forces, many)):
            runs = [_render(db, tags, settings) for _ in range(args.runs)]
            median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            rows.append((forces, median, max(r["total"] for r in runs)))
    print()
    print("| forces | figures s | HTML + charts s | PDF s | total s (median) | worst s | CPU s |"
          " target |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for forces, m, worst in rows:
        target = TARGETS.get(forces, TARGETS[43])
        print(
            f"| {forces} | {m['figures']:.2f} | {m['html']:.2f} | {m['pdf']:.2f} | "
            f"{m['total']:.2f} | {worst:.2f} | {m['cpu']:.2f} | ≤ {target:g} |"
        )


if __name__ == "__main__":
    main()
