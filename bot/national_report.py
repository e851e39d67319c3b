"""`champbot report --by-force`: each force's volumes, time to a champion and outcomes side by
side, and the nation's, as a plain-text table (and a CSV with `--csv`)."""

from __future__ import annotations

import csv
from pathlib import Path

from bot.domain.figures import percentile
from bot.domain.national import NationalFigures
from bot.views.time import duration

COLUMNS = (
    "force",
    "questions",
    "answered",
    "requests",
    "waiting",
    "with a champion",
    "resolved",
    "cancelled",
    "to a champion (median)",
    "(p90)",
    "SLA breaches",
    "helped",
)


def rows(found: NationalFigures) -> list[list[str]]:
    """One row per force, then the nation's."""
    out = []
    for force in found.forces:
        q, r = force.figures.questions, force.figures.requests
        share = r.helped_share
        out.append(
            [
                force.team_id + (" (left)" if force.left else ""),
                str(q.total),
                str(q.answered),
                str(r.total),
                str(r.waiting),
                str(r.with_champion),
                str(r.resolved),
                str(r.cancelled),
                duration(r.median_claim()),
                duration(r.p90_claim()),
                str(r.sla_breaches),
                "–" if share is None else f"{share:.0%}",
            ]
        )
    every = [f.figures.requests for f in found.forces]
    claims = [s for r in every for s in r.claim_seconds]
    helped = sum(r.helped for r in every)
    said = helped + sum(r.not_helped for r in every)
    out.append(
        [
            "nationally",
            str(found.questions),
            str(found.answered),
            str(found.requests),
            str(sum(r.waiting for r in every)),
            str(sum(r.with_champion for r in every)),
            str(found.resolved),
            str(sum(r.cancelled for r in every)),
            duration(percentile(claims, 50)),
            duration(percentile(claims, 90)),
            str(sum(r.sla_breaches for r in every)),
            f"{helped / said:.0%}" if said else "–",
        ]
    )
    return out


def table(found: NationalFigures, *, title: str) -> str:
    """The forces side by side, columns aligned."""
    body = [list(COLUMNS), *rows(found)]
    widths = [max(len(row[i]) for row in body) for i in range(len(COLUMNS))]
    lines = [title]
    for n, row in enumerate(body):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_csv(found: NationalFigures, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(rows(found))
