"""`champbot kb check`: every problem in the knowledge base folder, not just the first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from bot.knowledge.entries import Entry, KnowledgeError, display_path, entry_files, load_entry
from bot.knowledge.normalise import Normaliser
from bot.knowledge.vocabulary import load_vocabulary

Severity = Literal["error", "warning"]

MAX_BODY_CHARS = 2500
NEAR_DUPLICATE_JACCARD = 0.9

# Sites whose word an entry may rest on: legislation, the CPS, the College of Policing, the
# Home Office and other government bodies, the inspectorates, the courts, the Sentencing
# Council, Parliament, the stalking charities named in the research notes, the judgments
# themselves (BAILII; the National Archives' Find Case Law is on gov.uk), the US Justice
# Department's reference library (where some Home Office research is abstracted), the police
# forces themselves, and verbatim copies of Hansard and of official news releases.
AUTHORITATIVE_DOMAINS = (
    "legislation.gov.uk", "cps.gov.uk", "college.police.uk", "gov.uk", "gov.scot",
    "gov.wales", "justiceinspectorates.gov.uk", "judiciary.uk", "sentencingcouncil.org.uk",
    "parliament.uk", "domesticabusecommissioner.uk", "paladinservice.co.uk",
    "suzylamplugh.org", "alicerugglestrust.org", "protectionagainststalking.org",
    "safelives.org.uk", "victimsupport.org.uk", "scaredofsomeone.org", "thesurvivorstrust.org",
    "stalkingriskprofile.com", "nationalstalkinghelpline.org", "bailii.org",
    "ncjrs.gov",  # the US Department of Justice's library: abstracts of Home Office studies
    "police.uk",  # the forces' own sites: their policies, their own units, their own cases
    "fixatedthreat.com",  # the Fixated Threat Assessment Centre's own pages (its clinicians')
    # Verbatim republishers of official text whose own page is gone or hard to cite: Hansard's
    # written answers (mySociety) and government bodies' news releases (the IOPC's, say).
    "theyworkforyou.com", "wired-gov.net", "parallelparliament.co.uk",
    "ico.org.uk",  # the Information Commissioner, the data-protection regulator
    "pnld.co.uk",  # the Police National Legal Database, run for the police service
    "cambridge.org", "doi.org", "ncbi.nlm.nih.gov",  # peer-reviewed papers, by DOI or PubMed
    "eprints.glos.ac.uk",  # the University of Gloucestershire's own copies of its research
    "irishstatutebook.ie", "lawreform.ie", "oireachtas.ie",  # Ireland's Acts and Parliament
    # the platforms' own law-enforcement policies: the primary source for what they disclose
    "transparency.meta.com", "about.meta.com", "policies.google.com",
)  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the knowledge base; errors block loading, warnings need a curator."""

    path: Path
    field: str | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"field '{self.field}': " if self.field else ""
        return f"{self.severity}: {display_path(self.path)}: {where}{self.message}"


def is_authoritative(url: str) -> bool:
    """Whether `url` is on one of the authoritative domains (or a subdomain of one)."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return any(host == d or host.endswith("." + d) for d in AUTHORITATIVE_DOMAINS)


def _phrasing_key(normaliser: Normaliser, text: str) -> frozenset[str]:
    """The normalised terms of a phrasing: "who applies for an SPO" and "who can apply for a
    stalking protection order" have the same key."""
    return frozenset(normaliser.analyse(text))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _near_duplicates(entries: list[Entry], normaliser: Normaliser) -> list[Problem]:
    """Phrasings (titles and questions) that two entries share, word for word or nearly."""
    problems: list[Problem] = []
    seen: list[tuple[frozenset[str], Entry, str]] = []
    by_token: dict[str, list[int]] = {}
    reported: set[tuple[str, str, str]] = set()
    for entry in entries:
        for phrasing in (entry.title, *entry.questions):
            key = _phrasing_key(normaliser, phrasing)
            candidates = {i for token in key for i in by_token.get(token, ())}
            for i in sorted(candidates):
                other_key, other, other_text = seen[i]
                if other.id == entry.id or _jaccard(key, other_key) < NEAR_DUPLICATE_JACCARD:
                    continue
                if (entry.id, other.id, phrasing) in reported:
                    continue
                reported.add((entry.id, other.id, phrasing))
                same = "the same as" if key == other_key else "nearly the same as"
                problems.append(
                    Problem(
                        entry.path,
                        "questions",
                        f"{phrasing!r} is {same} {other_text!r} in {other.id}; "
                        "search cannot tell the two entries apart",
                        "warning",
                    )
                )
            for token in key:
                by_token.setdefault(token, []).append(len(seen))
            seen.append((key, entry, phrasing))
    return problems


def _entry_problems(entry: Entry, today: date) -> list[Problem]:
    problems: list[Problem] = []
    if entry.is_overdue(today):
        problems.append(
            Problem(
                entry.path,
                "review_by",
                f"overdue for review since {entry.review_by.isoformat()} (owner: {entry.owner})",
                "warning",
            )
        )
    if not entry.sources:
        problems.append(Problem(entry.path, "sources", "no sources: cite at least one"))
    for source in entry.sources:
        if not is_authoritative(source.url):
            problems.append(
                Problem(
                    entry.path,
                    "sources",
                    f"{source.url} is not on an authoritative site "
                    "(legislation, CPS, College of Policing, gov.uk, inspectorates, charities)",
                    "warning",
                )
            )
    if len(entry.body) > MAX_BODY_CHARS:
        problems.append(
            Problem(
                entry.path,
                "body",
                f"answer is {len(entry.body)} characters; keep it under {MAX_BODY_CHARS}",
                "warning",
            )
        )
    if len(entry.questions) < 2:
        problems.append(
            Problem(
                entry.path,
                "questions",
                "give at least two ways an officer might ask this",
                "warning",
            )
        )
    texts = [" ".join(q.lower().split()) for q in entry.questions]
    if len(set(texts)) < len(texts):
        problems.append(
            Problem(entry.path, "questions", "two phrasings are the same words", "warning")
        )
    return problems


def check_entries(directory: str | Path, *, today: date) -> list[Problem]:
    """Every problem in the knowledge base under `directory`: all load errors of all files,
    duplicate ids, overdue reviews, missing or non-authoritative sources, over-long answers,
    and phrasings that two entries share."""
    root = Path(directory)
    if not root.is_dir():
        return [Problem(root, None, "knowledge folder not found")]
    problems: list[Problem] = []
    entries: list[Entry] = []
    for path in entry_files(root):
        try:
            entries.append(load_entry(path))
        except KnowledgeError as exc:
            problems.extend(Problem(exc.path, field, message) for field, message in exc.errors)
    first_path: dict[str, Path] = {}
    for entry in entries:
        if entry.id in first_path:
            problems.append(
                Problem(
                    entry.path,
                    "id",
                    f"duplicate id '{entry.id}', also used by {display_path(first_path[entry.id])}",
                )
            )
        else:
            first_path[entry.id] = entry.path
    for entry in entries:
        problems.extend(_entry_problems(entry, today))
    try:
        normaliser = load_vocabulary(root).normaliser()
    except KnowledgeError as exc:
        problems.extend(Problem(exc.path, field, message) for field, message in exc.errors)
        normaliser = Normaliser()  # phrasings are still compared, in generic English
    problems.extend(_near_duplicates(entries, normaliser))
    if not entries and not problems:
        problems.append(Problem(root, None, "no knowledge entries found", "warning"))
    return problems
