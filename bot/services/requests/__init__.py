"""Case-advice requests: create, route to a champion, claim, consult, resolve, release, cancel.

Split by seam: what there is (`queries`), routing (`routing`), the champion's side (`claims`)
and the officer's (`asking`). The names are re-exported here.
"""

from bot.domain.errors import AlreadyTaken
from bot.services.requests.asking import (
    add_detail,
    cancel,
    check_may_add_detail,
    create,
    from_question,
    record_helped,
)
from bot.services.requests.claims import (
    MAX_NOTE,
    check_may_act,
    claim,
    pass_offer,
    reassign,
    release,
    resolve,
)
from bot.services.requests.queries import (
    get,
    held_by,
    offered_to,
    open_for,
    pending_offer_for,
    queue,
    workload,
)
from bot.services.requests.routing import (
    Routed,
    active_load,
    candidates,
    is_available,
    loads,
    lock,
    move_offers_on,
    reroute,
    route,
    route_waiting,
    unrouted,
)

__all__ = [
    "MAX_NOTE",
    "AlreadyTaken",
    "Routed",
    "active_load",
    "add_detail",
    "cancel",
    "candidates",
    "check_may_act",
    "check_may_add_detail",
    "claim",
    "create",
    "from_question",
    "get",
    "held_by",
    "is_available",
    "loads",
    "lock",
    "move_offers_on",
    "offered_to",
    "open_for",
    "pass_offer",
    "pending_offer_for",
    "queue",
    "reassign",
    "record_helped",
    "release",
    "reroute",
    "resolve",
    "route",
    "route_waiting",
    "unrouted",
    "workload",
]
