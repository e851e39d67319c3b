"""Broadcasts in Slack; the names of the package's modules are re-exported here.

The post and its copies (`message`), the lead's form and preview (`form`), and what leads
see of their broadcasts (`lead`).
"""

from bot.domain.broadcasts import (
    ACK_OPTION,
    CATEGORY,
    DEFAULT_ZONE,
    DM_OPTION,
    LINKS,
    MAX_LINKS_TEXT,
    MAX_MESSAGE,
    MAX_TITLE,
    MESSAGE,
    OPTIONS,
    SEND_AT,
    TITLE,
    FormValues,
    Link,
    Listed,
    zone_or_default,
)
from bot.views.broadcasts.form import form_modal, form_values, notice_modal, preview_modal
from bot.views.broadcasts.lead import (
    cancelled_text,
    home_blocks,
    lead_confirmation,
    list_blocks,
    list_reply,
    pending_modal,
    reminded_modal,
)
from bot.views.broadcasts.message import (
    CATEGORY_ICONS,
    CATEGORY_LABELS,
    ack_count_text,
    broadcast_dm,
    broadcast_message,
    lead_mrkdwn,
    local_time,
    reminder_dm,
    slack_time,
)
from bot.views.text import defuse, plain

__all__ = [
    "ACK_OPTION",
    "CATEGORY",
    "CATEGORY_ICONS",
    "CATEGORY_LABELS",
    "DEFAULT_ZONE",
    "DM_OPTION",
    "LINKS",
    "MAX_LINKS_TEXT",
    "MAX_MESSAGE",
    "MAX_TITLE",
    "MESSAGE",
    "OPTIONS",
    "SEND_AT",
    "TITLE",
    "FormValues",
    "Link",
    "Listed",
    "ack_count_text",
    "broadcast_dm",
    "broadcast_message",
    "cancelled_text",
    "defuse",
    "form_modal",
    "form_values",
    "home_blocks",
    "lead_confirmation",
    "lead_mrkdwn",
    "list_blocks",
    "list_reply",
    "local_time",
    "notice_modal",
    "pending_modal",
    "plain",
    "preview_modal",
    "reminded_modal",
    "reminder_dm",
    "slack_time",
    "zone_or_default",
]
