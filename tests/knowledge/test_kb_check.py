"""`check_entries`: every kind of problem, in every file, in one pass."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bot.knowledge.check import Problem, check_entries, is_authoritative

FIXTURES = Path(__file__).parent / "fixtures" / "kb"
TODAY = date(2026, 12, 1)
EntryWriter = Callable[..., Path]


def found(problems: list[Problem], name: str, field: str | None, severity: str) -> bool:
    return any(
        p.path.name == name and p.field == field and p.severity == severity for p in problems
    )


def test_the_fixture_knowledge_base_is_clean() -> None:
    assert check_entries(FIXTURES, today=TODAY) == []


def test_load_errors_of_every_file_are_all_reported(
    make_entry: EntryWriter, tmp_path: Path
) -> None:
    make_entry(tmp_path, name="one", review_by="soon", title=None)
    make_entry(tmp_path, name="two", sources=None)
    make_entry(tmp_path, name="three", questions="\n  - a third way to ask\n  - and another one")
    problems = check_entries(tmp_path, today=TODAY)
    assert found(problems, "one.md", "review_by", "error")
    assert found(problems, "one.md", "title", "error")
    assert found(problems, "two.md", "sources", "error")
    assert not any(p.path.name == "three.md" for p in problems)
    assert "one.md: field 'review_by'" in str(next(p for p in problems if p.field == "review_by"))


def test_duplicate_ids_are_errors(make_entry: EntryWriter, tmp_path: Path) -> None:
    make_entry(tmp_path / "orders", name="spo-breach")
    make_entry(tmp_path / "other", name="spo-breach", questions="\n  - q one\n  - q two")
    problems = check_entries(tmp_path, today=TODAY)
    assert [p.field for p in problems if "duplicate id" in p.message] == ["id"]


def test_overdue_entries_are_flagged(make_entry: EntryWriter, tmp_path: Path) -> None:
    make_entry(tmp_path, reviewed="2024-01-01", review_by="2025-01-01")
    problems = check_entries(tmp_path, today=TODAY)
    assert found(problems, "spo-breach.md", "review_by", "warning")
    assert "overdue" in problems[0].message


def test_sources_must_exist_and_be_authoritative(make_entry: EntryWriter, tmp_path: Path) -> None:
    make_entry(tmp_path, name="no-sources", sources="[]")
    make_entry(
        tmp_path,
        name="blog-source",
        sources="\n  - title: A blog\n    url: https://someones-blog.example.com/stalking",
    )
    problems = check_entries(tmp_path, today=TODAY)
    assert found(problems, "no-sources.md", "sources", "error")
    assert found(problems, "blog-source.md", "sources", "warning")


def test_authoritative_domains() -> None:
    assert is_authoritative("https://www.legislation.gov.uk/ukpga/1997/40/section/4A")
    assert is_authoritative("https://hmicfrs.justiceinspectorates.gov.uk/publications/x")
    assert is_authoritative("https://www.app.college.police.uk/app-content/x")
    assert is_authoritative("https://www.suzylamplugh.org/x")
    assert is_authoritative("https://www.alicerugglestrust.org/")
    assert is_authoritative("http://www.bailii.org/uk/cases/UKSC/2013/17.html")  # judgments
    assert is_authoritative("https://caselaw.nationalarchives.gov.uk/ewca/crim/2010/123")
    assert not is_authoritative("https://www.swarb.co.uk/lau-v-dpp-2000/")  # a digest of them
    assert is_authoritative("https://www.met.police.uk/foi-ai/x")  # a force's own site
    assert is_authoritative("https://www.theyworkforyou.com/wrans/?id=2007-06-25e.141343.h")
    assert is_authoritative("https://ico.org.uk/your-data-matters/domestic-cctv-systems/")
    assert is_authoritative("https://transparency.meta.com/policies/improving/x/")
    assert not is_authoritative("https://www.facebook.com/groups/x")  # a platform's users
    assert not is_authoritative("https://www.theargus.co.uk/news/1")  # a newspaper's account
    assert not is_authoritative("https://www.waldrons.co.uk/for-you/stalking")
    assert not is_authoritative("https://gov.uk.evil.example/")
    assert not is_authoritative("https://notgov.uk/")


def test_long_answers_are_flagged(make_entry: EntryWriter, tmp_path: Path) -> None:
    make_entry(tmp_path, body="An answer. " * 300)
    assert found(check_entries(tmp_path, today=TODAY), "spo-breach.md", "body", "warning")


def test_near_duplicate_phrasings_across_entries(make_entry: EntryWriter, tmp_path: Path) -> None:
    make_entry(
        tmp_path,
        name="spo-apply",
        title="SPO applicants",
        questions="\n  - who can apply for an SPO\n  - x y z",
    )
    make_entry(
        tmp_path,
        name="spo-applicant",
        title="Applying for orders",
        questions="\n  - Who can apply for a stalking protection order?\n  - a b c",
    )
    make_entry(tmp_path, name="spo-other", title="Something else", questions="\n  - p q r\n  - s t")
    shutil.copy(FIXTURES / "vocabulary.yaml", tmp_path)  # "SPO" is the network's word
    problems = [p for p in check_entries(tmp_path, today=TODAY) if p.field == "questions"]
    assert len(problems) == 1 and problems[0].severity == "warning"
    assert "spo-apply" in problems[0].message or "spo-applicant" in problems[0].message


def test_a_single_phrasing_is_a_warning(make_entry: EntryWriter, tmp_path: Path) -> None:
    make_entry(tmp_path, questions="\n  - spo breach sentence")
    assert found(check_entries(tmp_path, today=TODAY), "spo-breach.md", "questions", "warning")


def test_a_missing_folder_is_reported(tmp_path: Path) -> None:
    (problem,) = check_entries(tmp_path / "nowhere", today=TODAY)
    assert problem.severity == "error"
