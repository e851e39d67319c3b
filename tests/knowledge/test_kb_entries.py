"""The entry loader: valid entries load; a malformed one names its file and field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeError, load_entries, load_entry

FIXTURES = Path(__file__).parent / "fixtures" / "kb"
EntryWriter = Callable[..., Path]


def error_for(write: EntryWriter, tmp_path: Path, **fields: str | None) -> KnowledgeError:
    path = write(tmp_path / "knowledge", **fields)
    with pytest.raises(KnowledgeError) as caught:
        load_entry(path)
    return caught.value


def test_a_valid_entry_loads(make_entry: EntryWriter, tmp_path: Path) -> None:
    entry = load_entry(make_entry(tmp_path, owner_slack_id="U0123ABCD", refer_to_champion="true"))
    assert entry.id == "spo-breach"
    assert entry.questions == ("spo breach sentence", "is breaching an SPO an offence")
    assert entry.tags == ("spo", "breach")
    assert entry.reviewed == date(2026, 11, 28) and entry.review_by == date(2027, 5, 28)
    assert entry.refer_to_champion and entry.owner_slack_id == "U0123ABCD"
    assert entry.sources[0].url.startswith("https://www.legislation.gov.uk/")
    assert entry.summary == "Breaching an SPO is an offence."
    assert not entry.is_overdue(date(2027, 5, 28)) and entry.is_overdue(date(2027, 5, 29))


def test_optional_fields_default(make_entry: EntryWriter, tmp_path: Path) -> None:
    entry = load_entry(make_entry(tmp_path))
    assert entry.owner_slack_id is None and entry.refer_to_champion is False


def test_the_message_names_the_file_and_the_field(make_entry: EntryWriter, tmp_path: Path) -> None:
    err = error_for(make_entry, tmp_path, review_by="next spring")
    assert str(err).startswith(
        "knowledge/spo-breach.md: field 'review_by': expected a date like 2027-05-28"
    )
    assert err.field == "review_by"


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"title": None}, "title", "missing"),
        ({"owner": None}, "owner", "missing"),
        ({"reviewed": None}, "reviewed", "missing"),
        ({"title": "[1, 2]"}, "title", "expected non-empty text"),
        ({"id": "Spo_Breach"}, "id", "lower-case"),
        ({"questions": "[]"}, "questions", "at least 1"),
        ({"questions": "what is an spo"}, "questions", "list"),
        ({"tags": "spo"}, "tags", "list"),
        ({"sources": None}, "sources", "missing"),
        ({"sources": "[]"}, "sources", "at least one"),
        ({"sources": "\n  - title: A page\n    url: ftp://example.org/x"}, "sources", "http"),
        ({"sources": "\n  - url: https://www.cps.gov.uk/x"}, "sources", "title"),
        ({"review_by": "2026-01-01"}, "review_by", "after reviewed"),
        ({"reviewed": "2026-02-30"}, "reviewed", "expected a date"),
        ({"refer_to_champion": "maybe"}, "refer_to_champion", "true or false"),
        ({"owner_slack_id": "bob"}, "owner_slack_id", "Slack user ID"),
        ({"colour": "blue"}, "colour", "unknown field"),
        ({"body": "  \n"}, "body", "empty"),
    ],
)
def test_each_field_is_validated(
    make_entry: EntryWriter, tmp_path: Path, fields: dict[str, str | None], field: str, words: str
) -> None:
    err = error_for(make_entry, tmp_path, **fields)
    assert any(f == field and words in message for f, message in err.errors), err.errors
    assert "spo-breach.md" in str(err)


def test_the_id_must_match_the_file_name(make_entry: EntryWriter, tmp_path: Path) -> None:
    path = make_entry(tmp_path, name="spo-breach", id="spo-breaches")
    with pytest.raises(KnowledgeError, match=r"field 'id': 'spo-breaches' does not match"):
        load_entry(path)


def test_every_problem_in_a_file_is_kept(make_entry: EntryWriter, tmp_path: Path) -> None:
    err = error_for(make_entry, tmp_path, title=None, review_by="soon", colour="red")
    assert {f for f, _ in err.errors} == {"title", "review_by", "colour"}
    assert "(and 2 more)" in str(err)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("no front matter at all\n", "front matter"),
        ("---\nid: [unclosed\n---\nbody\n", "not valid YAML"),
        ("---\n- a list\n---\nbody\n", "mapping"),
    ],
)
def test_malformed_files_are_named(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "broken.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError, match=words) as caught:
        load_entry(path)
    assert "broken.md" in str(caught.value)


def test_load_entries_skips_the_readme_and_stops_at_a_bad_file(
    make_entry: EntryWriter, tmp_path: Path
) -> None:
    folder = tmp_path / "knowledge"
    make_entry(folder, name="a-one")
    make_entry(folder, name="b-two")
    (folder / "README.md").write_text("# not an entry\n", encoding="utf-8")
    assert [e.id for e in load_entries(folder)] == ["a-one", "b-two"]
    make_entry(folder, name="c-three", reviewed="yesterday")
    with pytest.raises(KnowledgeError, match=r"c-three\.md: field 'reviewed'"):
        load_entries(folder)


def test_the_fixture_knowledge_base_loads() -> None:
    entries = load_entries(FIXTURES)
    assert len(entries) >= 10
    assert all(e.path.stem == e.id for e in entries)
