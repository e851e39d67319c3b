"""The layering contracts cover the whole code: a new services module is checked too."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT


def test_every_services_module_is_held_to_queueing_through_notify() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [
        c for c in config["contracts"] if c["forbidden_modules"] == ["bot.services.outbox"]
    ]
    services = ROOT / "bot" / "services"
    modules = {
        f"bot.services.{path.stem if path.is_file() else path.name}"
        for path in services.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert set(contract["source_modules"]) == modules - {"bot.services.outbox"}


def test_services_raise_errors_as_data_and_leave_the_wording_to_the_views() -> None:
    # A refusal with its sentence written in a service (`ServiceError("…")`) can't be worded
    # for its surface, and drifts from the other surfaces' wording.
    worded = []
    for path in sorted((ROOT / "bot" / "services").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\b(ServiceError|NotAllowed)\(f?[\"']", line):
                worded.append(f"{path.relative_to(ROOT)}:{number}")
    assert worded == []


def test_no_module_in_bot_or_handlers_is_over_400_lines() -> None:
    """A module that outgrows this is split along its seams (migrations aside: each is one
    revision, written once)."""
    over = {
        str(path.relative_to(ROOT)): length
        for top in ("bot", "handlers")
        for path in (ROOT / top).rglob("*.py")
        if "migrations" not in path.parts
        and (length := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert over == {}
