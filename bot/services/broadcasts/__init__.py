"""Broadcasts: leads' updates to the network, sent now or later, acknowledged, reminded once.

The weekly digest is in `bot.services.digest`.

Split by seam: who may and what there is (`access`), the form (`form`), sending, editing and
cancelling (`sending`), acknowledgements, reminders and the clock (`acks`). Every message goes
through `bot.notify.broadcasts`, in the transaction that decides it. The names are re-exported.
"""

from bot.domain.broadcasts import AckResult, Form, Link, Listed, Pending, Preview
from bot.domain.errors import InvalidBroadcast
from bot.notify.broadcasts import AUTO_REMINDER, LEAD_REMINDER, dm_ref, post_ref, reminder_ref
from bot.services.broadcasts.access import (
    LEADS,
    champions,
    check_may_broadcast,
    counts,
    editable,
    get,
    is_out,
    leads,
    links_of,
    listing,
    mark_due,
)
from bot.services.broadcasts.acks import acknowledge, not_acknowledged, remind, sweep
from bot.services.broadcasts.form import parse_links, save_draft
from bot.services.broadcasts.sending import cancel, confirm

__all__ = [
    "AUTO_REMINDER",
    "LEADS",
    "LEAD_REMINDER",
    "AckResult",
    "Form",
    "InvalidBroadcast",
    "Link",
    "Listed",
    "Pending",
    "Preview",
    "acknowledge",
    "cancel",
    "champions",
    "check_may_broadcast",
    "confirm",
    "counts",
    "dm_ref",
    "editable",
    "get",
    "is_out",
    "leads",
    "links_of",
    "listing",
    "mark_due",
    "not_acknowledged",
    "parse_links",
    "post_ref",
    "remind",
    "reminder_ref",
    "save_draft",
    "sweep",
]
