"""No token or secret reaches a log: every log record is redacted where it is made.

slack_sdk logs each response body at DEBUG (oauth.v2.access's holds the new tokens) and each
request's form fields (oauth.v2.access's hold the client secret); Bolt and the app may put
either in a message or an exception. A log record factory sees every record of every logger
before any handler does, so whatever handlers or levels are configured, a token-shaped string
or a registered secret is replaced by "[redacted]" in the message and in the traceback text.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

# Slack's token shapes: bot, user, app-level, refresh, configuration and workflow tokens.
TOKEN = re.compile(r"\bxox[abeoprs]-[A-Za-z0-9-]{6,}|\bxapp-[A-Za-z0-9-]{6,}|\bxoxe\.[\w.-]{6,}")
MASK = "[redacted]"

_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def redact(text: str) -> str:
    """`text` with every token-shaped string and registered secret masked."""
    text = TOKEN.sub(MASK, text)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _needs(text: str) -> bool:
    return "xox" in text or "xapp-" in text or any(s in text for s in _secrets)


def install(*secrets: str | None) -> None:
    """Redact every log record from now on, and these secrets (the client secret, the signing
    secret, the encryption key) besides token shapes. Safe to call more than once."""
    global _installed
    with _lock:
        _secrets.update(s for s in secrets if s and len(s) >= 6)
        if _installed:
            return
        _installed = True
        make = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make(*args, **kwargs)
            try:
                message = record.getMessage()
            except Exception:  # a malformed call: leave it to logging's own error report
                return record
            if _needs(message):
                record.msg, record.args = redact(message), ()
            if record.exc_info and record.exc_info[1] is not None:
                text = logging.Formatter().formatException(record.exc_info)
                if _needs(text):
                    # Formatters use the cached text rather than formatting the exception again.
                    record.exc_text = redact(text)
            return record

        logging.setLogRecordFactory(factory)
