"""The console's clock, an offset `/wait` moves on: no time-freezing library, as those move the
process's clock and Slack's request signatures need real time. The clock's jobs run on it."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot.models import utcnow
from bot.runtime import Runtime
from bot.scheduler import JOBS

# A duration as people type it: "30s", "10m", "2h", "1d", "1h30m", "90 minutes". No kept parser
# reads these shorthands without pulling in a natural-language date library, so a regex does.
_PART = re.compile(
    r"(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w)(?![a-z])",
    re.IGNORECASE,
)
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """A typed duration ("10m", "2h", "1d", "1h30m"); ValueError for anything else or zero."""
    parts = list(_PART.finditer(text))
    if not parts or _PART.sub("", text).strip():
        raise ValueError(f"{text!r} is not a duration")
    total = timedelta()
    for part in parts:
        unit = _UNIT[part.group(2)[0].lower()]
        total += timedelta(**{unit: float(part.group(1))})
    if total <= timedelta():
        raise ValueError(f"{text!r} is not a duration")
    return total


class ConsoleClock:
    """Real time plus however far `/wait` has moved it; the runtime, every listener, the outbox
    and the sweeps all read it."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return utcnow() + self._offset

    def advance(self, by: timedelta) -> datetime:
        """Move the clock forward by `by`; the new time."""
        with self._lock:
            self._offset += by
        return self()


class ConsoleScheduler:
    """The jobs `champbot serve` runs, on the console's clock, plus running them now on demand.

    One lock keeps a `/wait` sweep and the background one from acting on the same rows at once
    (either would be safe, but the console's output would interleave)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._lock = threading.Lock()
        self._scheduler = BackgroundScheduler(timezone="UTC")
        for job in JOBS:
            self._scheduler.add_job(
                self._run,
                "interval",
                args=[job.run],
                id=job.id,
                max_instances=1,
                coalesce=True,
                next_run_time=utcnow(),  # the scheduler's own timer is real time
                **job.every(runtime.settings),
            )

    def _run(self, job: object) -> None:
        with self._lock:
            job(self.runtime)  # type: ignore[operator]

    def start(self) -> None:
        """Start the background jobs, as `champbot serve` does."""
        self._scheduler.start()

    def run_due(self) -> None:
        """Run every job once now, on the clock's current time (after a `/wait`)."""
        for job in JOBS:
            self._run(job.run)

    def shutdown(self) -> None:
        """Stop the background jobs."""
        self._scheduler.shutdown(wait=False)
