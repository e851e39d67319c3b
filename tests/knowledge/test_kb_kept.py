"""The knowledge base's index by words is kept in the encodings cache between starts
(`bot.knowledge.kept`): read back, it searches exactly as one built from the files; any change
to the entries is a new index; a damaged file is made again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase, kept
from bot.knowledge.evalset import load_eval_set

ROOT = Path(__file__).resolve().parents[2]
KB_DIR = ROOT / "knowledge"


def _answers(kb: KnowledgeBase, questions: list[str]) -> list[object]:
    out: list[object] = []
    for q in questions:
        t = kb.triage(q)
        out.append((t.kind, [(h.entry.id, h.score) for h in t.hits]))
    return out


def _no_build(*_args: object) -> None:
    raise AssertionError("the knowledge base was read and indexed again")


def test_the_kept_index_searches_as_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = KnowledgeBase.load(KB_DIR, encoder=None, encodings_cache=tmp_path)
    assert [p.name.startswith("knowledge-") for p in tmp_path.glob("*.pickle")] == [True]
    # read back, not built: the entries are not read again
    monkeypatch.setattr(kept, "load_entries", _no_build)
    again = KnowledgeBase.load(KB_DIR, encoder=None, encodings_cache=tmp_path)
    monkeypatch.undo()
    fresh = KnowledgeBase.load(KB_DIR, encoder=None)  # no cache: built
    assert again is not built
    questions = [q.q for q in load_eval_set(KB_DIR / "eval" / "questions.yaml")][::4]
    assert _answers(again, questions) == _answers(fresh, questions)
    assert again.entries == fresh.entries


def test_a_changed_entry_is_indexed_again(tmp_path: Path) -> None:
    kb_dir, cache = tmp_path / "kb", tmp_path / "cache"
    shutil.copytree(KB_DIR, kb_dir)
    before = KnowledgeBase.load(kb_dir, encoder=None, encodings_cache=cache)
    entry = kb_dir / "arrest-powers.md"
    entry.write_text(entry.read_text().replace("title: ", "title: Zanzibar ", 1))
    after = KnowledgeBase.load(kb_dir, encoder=None, encodings_cache=cache)
    assert before.get("arrest-powers").title != after.get("arrest-powers").title  # type: ignore[union-attr]
    assert after.get("arrest-powers").title.startswith("Zanzibar")  # type: ignore[union-attr]
    assert len(list(cache.glob("knowledge-*.pickle"))) == 1  # the earlier one is gone


def test_a_damaged_kept_index_is_made_again(tmp_path: Path) -> None:
    KnowledgeBase.load(KB_DIR, encoder=None, encodings_cache=tmp_path)
    (path,) = tmp_path.glob("knowledge-*.pickle")
    path.write_bytes(path.read_bytes()[:1000])
    kb = KnowledgeBase.load(KB_DIR, encoder=None, encodings_cache=tmp_path)
    assert kb.triage("can i get a stalking protection order").kind == "answered"
    assert kept.load_or_build(KB_DIR, tmp_path, _no_build) is not None  # rewritten whole


@pytest.mark.parametrize("loose", ["folder", "file"])
def test_a_kept_index_others_may_write_is_not_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loose: str
) -> None:
    # Unpickling runs what the file says: a file or folder anyone else could write is not read.
    KnowledgeBase.load(KB_DIR, encoder=None, encodings_cache=tmp_path)
    (path,) = tmp_path.glob("knowledge-*.pickle")
    assert path.stat().st_mode & 0o777 == 0o600
    (tmp_path if loose == "folder" else path).chmod(0o777 if loose == "folder" else 0o666)
    built: list[bool] = []
    real = kept.load_entries

    def counted(*args: object, **kwargs: object) -> object:
        built.append(True)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(kept, "load_entries", counted)
    again = KnowledgeBase.load(KB_DIR, encoder=None, encodings_cache=tmp_path)
    assert built == [True]  # read from the files, not from the kept index
    assert again.get("arrest-powers") is not None
