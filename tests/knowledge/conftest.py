"""Fixtures for the knowledge base tests: a writer of entry files and the fixture entries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase

FIXTURES = Path(__file__).parent / "fixtures" / "kb"

GOOD = {
    "title": "What happens if someone breaches an SPO?",
    "questions": "\n  - spo breach sentence\n  - is breaching an SPO an offence",
    "tags": "[spo, breach]",
    "owner": "Stalking Champions knowledge lead",
    "reviewed": "2026-11-28",
    "review_by": "2027-05-28",
    "sources": "\n  - title: Stalking Protection Act 2019, section 8\n"
    "    url: https://www.legislation.gov.uk/ukpga/2019/9/section/8",
}
BODY = "Breaching an SPO is an offence.\n\nMore detail here.\n"

EntryWriter = Callable[..., Path]


def write_entry(
    folder: Path, name: str = "spo-breach", body: str = BODY, **fields: str | None
) -> Path:
    """Write `<folder>/<name>.md` from the good entry above with `fields` changed (None drops
    a field), and return its path."""
    values = {"id": name, **GOOD, **fields}
    front = "".join(f"{k}: {v}\n" for k, v in values.items() if v is not None)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(f"---\n{front}---\n{body}", encoding="utf-8")
    return path


@pytest.fixture
def make_entry() -> EntryWriter:
    return write_entry


@pytest.fixture(scope="session")
def fixture_kb() -> KnowledgeBase:
    return KnowledgeBase.load(FIXTURES)
