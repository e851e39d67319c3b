"""Slack's Web API emulated locally over real HTTP, checked against Slack's method reference."""

from bot.emulator.emulator import SlackEmulator
from bot.emulator.records import Call, ResponsePost
from bot.emulator.reference import Reference

__all__ = ["Call", "Reference", "ResponsePost", "SlackEmulator"]
