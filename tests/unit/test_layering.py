"""The layering contracts cover the whole code: a new services module is checked too."""

from __future__ import annotations

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
