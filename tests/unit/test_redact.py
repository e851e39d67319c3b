"""No token or registered secret reaches a log line, in its message or in its traceback."""

from __future__ import annotations

import logging

import pytest

from bot.oauth import redact

TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp"


def test_tokens_and_secrets_are_masked_in_messages_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redact.install("a-client-secret-value")
    log = logging.getLogger("tests.redact")
    with caplog.at_level(logging.DEBUG, logger="tests.redact"):
        log.debug("answer body: %s", {"access_token": TOKEN, "ok": True})
        log.info("secret a-client-secret-value in a message")
        try:
            raise RuntimeError(f"the call failed with {TOKEN}")
        except RuntimeError:
            log.exception("failed")
    text = caplog.text
    assert TOKEN not in text and "a-client-secret-value" not in text
    assert text.count(redact.MASK) >= 3  # the lines are there, masked
    assert "the call failed with [redacted]" in text
