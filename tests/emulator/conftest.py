"""Fixtures for the emulator tests: one emulator per module, emptied for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.emulator import SlackEmulator
from tests.emulator.support import ALICE, BOB, CAROL, TOKEN


@pytest.fixture(scope="module")
def running() -> Iterator[SlackEmulator]:
    with SlackEmulator(token=TOKEN) as emu:
        emu.add_user(ALICE, name="alice", real_name="Alice A", tz="Europe/London")
        emu.add_user(BOB, name="bob", real_name="Bob B", tz="America/New_York", email="b@x.test")
        emu.add_user(CAROL, name="carol", real_name="Carol C")
        for channel in ("CGENERAL", "C1", "C2"):
            emu.add_channel(channel)
        yield emu


@pytest.fixture
def emu(running: SlackEmulator) -> SlackEmulator:
    running.reset()
    return running


@pytest.fixture
def client(emu: SlackEmulator) -> WebClient:
    return WebClient(token=TOKEN, base_url=emu.api_url)
