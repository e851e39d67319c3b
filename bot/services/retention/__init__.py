"""Retention: every stored copy of typed text is purged on schedule (CHAMPBOT_RETENTION_DAYS).

`REGISTRY` is the one place that says which columns of which tables hold typed text and how
each ages out; `NOT_TYPED_TEXT` and `KEPT` account for every other text column, so that a new
table cannot forget retention (tests/services/test_retention.py holds every table to it). The
clock runs each entry's steps in order (`bot.scheduler`).
"""

from bot.services.retention.registry import (
    KEPT,
    NOT_TYPED_TEXT,
    NOT_TYPED_TEXT_ANYWHERE,
    REGISTRY,
    Each,
    Once,
    Retained,
)
from bot.services.retention.steps import Counts, by_age, cutoff

__all__ = [
    "KEPT",
    "NOT_TYPED_TEXT",
    "NOT_TYPED_TEXT_ANYWHERE",
    "REGISTRY",
    "Counts",
    "Each",
    "Once",
    "Retained",
    "by_age",
    "cutoff",
]
