"""What a serving process holds: the web process and the worker import neither the libraries
only other commands need (Alembic for migrations, Jinja2 and WeasyPrint for the report,
matplotlib for its charts, Hypothesis for tests) nor, once the rewritten sentence model is
kept, the `onnx` library that rewrote it. Each is megabytes resident in both processes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from bot.db import Database
from bot.knowledge import KnowledgeBase
from bot.knowledge.encoder import cache_file
from tests.conftest import NOT_TO_SERVE, ROOT, python_json

# What `champbot serve` and `champbot worker` import and do before they take a request:
# their modules, the app's listeners, and the runtime (the schema checked, the knowledge
# base loaded with the model when it is installed).
SERVE = """
import json, sys
import bot.cli, bot.cli_serve, bot.server, bot.worker, bot.app, bot.inbox, bot.scheduler
from bot.config import Settings
from bot.runtime import Runtime
runtime = Runtime.from_settings(Settings.from_env(dotenv=None))
print(json.dumps({
    "modules": sorted({name.partition(".")[0] for name in sys.modules}),
    "semantic": runtime.kb.semantic,
}))
"""


def _serving_modules(tmp_path: Path, database: str) -> tuple[set[str], bool]:
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": "xoxb-imports",
        "SLACK_SIGNING_SECRET": "imports-secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "DATABASE_URL": database,
        "CHAMPBOT_KB_DIR": str(ROOT / "knowledge"),
        "CHAMPBOT_CACHE_DIR": str(tmp_path / "cache"),
        "CHAMPBOT_LOG_LEVEL": "WARNING",
    }
    report = python_json(SERVE, env=env, cwd=ROOT)
    return set(report["modules"]), bool(report["semantic"])


def _seed_encodings(kb: KnowledgeBase, run_cache: Path, cache: Path) -> set[str]:
    """Put in `cache` the run's encodings of the knowledge base's texts but its first entry's
    (a first start encodes those, and keeps them, as it would every entry's), and return the
    keys of all the knowledge base's texts as the cache file names them. Encoding every entry
    again would cost some 5 CPU-seconds and prove nothing more about what is imported."""
    texts, starts = kb._texts
    keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
    kept = set(keys[starts[1] if len(starts) > 1 else len(keys) :])
    with np.load(cache_file(run_cache), allow_pickle=False) as data:
        rows = [i for i, k in enumerate(data["keys"]) if str(k) in kept]
        seeded_keys, vectors = data["keys"][rows], data["vectors"][rows]
    cache.mkdir(parents=True)
    np.savez(cache_file(cache), keys=seeded_keys, vectors=vectors)
    return set(keys)


def _cached_keys(cache: Path) -> set[str]:
    with np.load(cache_file(cache), allow_pickle=False) as data:
        return {str(k) for k in data["keys"]}


def test_serving_imports_nothing_it_does_not_use(
    tmp_path: Path, kb: KnowledgeBase, encodings_cache: Path
) -> None:
    database = f"sqlite:///{tmp_path}/serve.db"
    Database(database).upgrade()  # as `champbot db upgrade` leaves it
    cache = tmp_path / "cache"
    every_key = _seed_encodings(kb, encodings_cache, cache) if kb.semantic else set()
    # the first start rewrites the model and encodes the entries still missing into the cache
    first, semantic = _serving_modules(tmp_path, database)
    assert not first & NOT_TO_SERVE, sorted(first & NOT_TO_SERVE)
    if semantic:
        assert every_key <= _cached_keys(cache), "the first start did not encode the rest"
    # a start with the cache warm does neither, so it needs no `onnx`
    again, _ = _serving_modules(tmp_path, database)
    assert not again & NOT_TO_SERVE, sorted(again & NOT_TO_SERVE)
    if semantic:
        assert "onnxruntime" in again and "onnx" not in again
    else:
        pytest.skip("the sentence model is not installed: its part is not checked")


def test_the_schema_check_agrees_with_alembic(tmp_path: Path) -> None:
    # A current schema is recognised without Alembic; anything else is left to Alembic.
    db = Database(f"sqlite:///{tmp_path}/fresh.db")
    assert not db._at_head_without_alembic()  # empty: no version table
    db.upgrade()
    assert db.current_revision() == db.head_revision()
    assert db._at_head_without_alembic()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0011'")
    assert not db._at_head_without_alembic()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM alembic_version")
    assert not db._at_head_without_alembic()  # no revision at all
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO alembic_version VALUES (?), (?)", (db.head_revision(), "0011")
        )
    assert not db._at_head_without_alembic()  # two rows: a branch Alembic must judge
    db.dispose()
