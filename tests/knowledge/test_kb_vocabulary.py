"""The network's vocabulary file: its loader, `kb check` on it, and the search that uses it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.knowledge import KnowledgeBase, KnowledgeError
from bot.knowledge.check import check_entries
from bot.knowledge.vocabulary import Vocabulary, load_vocabulary, parse_vocabulary

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "knowledge"
FIXTURES = Path(__file__).parent / "fixtures" / "kb"
TODAY = date(2026, 11, 28)
EntryWriter = Callable[..., Path]

GOOD = """\
# a small network of its own
words:
  stalkin: stalking
  snap: photo
  ip: victim
phrases:
  stalking protection order: spo
rewrites:
  - ['\\bhow long (?:in|inside)\\b', ' sentence ']
subject: [stalking, spo]
canonical: [spo]
expansions:
  spo: stalking protection order
"""


def write_vocabulary(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "vocabulary.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_vocabulary_loads_and_the_fixtures_have_the_same_file() -> None:
    vocabulary = load_vocabulary(SHIPPED)
    assert vocabulary.words["stalkin"] == "stalking"
    assert vocabulary.phrases["stalking protection order"] == "spo"
    assert "s4a" in vocabulary.subject and "spo" in vocabulary.canonical
    assert len(vocabulary.rewrites) == 3
    # the fixture knowledge base searches as the shipped one does
    assert (FIXTURES / "vocabulary.yaml").read_bytes() == (SHIPPED / "vocabulary.yaml").read_bytes()


def test_a_good_file_becomes_typed_sections_merged_with_generic_english(tmp_path: Path) -> None:
    vocabulary = load_vocabulary(write_vocabulary(tmp_path, GOOD).parent)
    assert vocabulary == Vocabulary(
        words={"stalkin": "stalking", "snap": "photo", "ip": "victim"},
        phrases={"stalking protection order": "spo"},
        rewrites=((r"\bhow long (?:in|inside)\b", " sentence "),),
        subject=frozenset({"stalking", "spo"}),
        canonical=frozenset({"spo"}),
        expansions={"spo": "stalking protection order"},
    )
    nz = vocabulary.normaliser()
    assert nz.analyse("pls wot is a stalking protection order") == ["spo"]  # "pls", "wot": English
    assert nz.analyse("snap") == nz.analyse("photo")  # the network's word overrides English's
    assert nz.analyse("how long inside") == nz.analyse("sentence")
    assert nz.expand("spo for the ip") == "stalking protection order for the victim"
    assert "spo" in nz.subject


def test_sections_may_be_left_out(tmp_path: Path) -> None:
    vocabulary = parse_vocabulary("words:\n  stalkin: stalking\n", tmp_path / "vocabulary.yaml")
    assert vocabulary == Vocabulary(words={"stalkin": "stalking"})


MALFORMED = [
    # (file text, the section named, what the message must name)
    ("words: [stalkin, stalking]", "words", "expected a mapping"),
    ("words:\n", "words", "got nothing"),
    ("words:\n  Stalkin: stalking\n", "words", "key 'Stalkin' is not lower-case"),
    ("words:\n  '': stalking\n", "words", "key '' is empty"),
    ("words:\n  ~: stalking\n", "words", "key nothing"),
    ("words:\n  2: two\n", "words", "key 2 expected text"),
    ("words:\n  stalk ing: stalking\n", "words", "key 'stalk ing' expected one word"),
    ("words:\n  stalkin: Stalking\n", "words", "'stalkin': value 'Stalking' is not lower-case"),
    ("words:\n  stalkin: ''\n", "words", "'stalkin': value '' is empty"),
    ("words:\n  stalkin: [stalking]\n", "words", "'stalkin': value ['stalking'] expected text"),
    ("words:\n  stalkin: stalking\n  stalkin: stalk\n", "words", "'stalkin' is given twice"),
    ("phrases:\n  spo: spo\n", "phrases", "key 'spo' expected at least 2 words"),
    ("phrases:\n  stalking  order: spo\n", "phrases", "key 'stalking  order' expected words"),
    ("rewrites: {a: b}", "rewrites", "expected a list of [pattern, replacement]"),
    ("rewrites:\n  - ['how long']\n", "rewrites", "item 1: expected [pattern, replacement]"),
    ("rewrites:\n  - [a, b, c]\n", "rewrites", "item 1: expected [pattern, replacement]"),
    ("rewrites:\n  - ['', x]\n", "rewrites", "item 1: the pattern is empty"),
    ("rewrites:\n  - ['(how long', x]\n", "rewrites", "item 1 '(how long': not a valid rewrite"),
    ("rewrites:\n  - ['how long', '\\1']\n", "rewrites", "item 1 'how long': not a valid"),
    ("rewrites:\n  - ['How long', x]\n", "rewrites", "item 1 'How long': pattern is not lower"),
    ("rewrites:\n  - ['how long', ' Sentence ']\n", "rewrites", "replacement ' Sentence '"),
    ("subject: stalking", "subject", "expected a list of words"),
    ("subject: [stalking, stalking]", "subject", "item 2 'stalking' is listed twice"),
    ("subject: [Stalking]", "subject", "item 1 'Stalking' is not lower-case"),
    ("canonical: [spo order]", "canonical", "item 1 'spo order' expected one word"),
    ("expansions:\n  spo: 5\n", "expansions", "'spo': value 5 expected text"),
    ("synonyms:\n  stalkin: stalking\n", "synonyms", "unknown section"),
]


@pytest.mark.parametrize(("text", "section", "named"), MALFORMED)
def test_each_malformed_file_is_one_line_naming_the_file_and_key(
    tmp_path: Path, text: str, section: str, named: str
) -> None:
    write_vocabulary(tmp_path / "kb", text)
    with pytest.raises(KnowledgeError) as caught:
        load_vocabulary(tmp_path / "kb")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"kb/vocabulary.yaml: field '{section}': "), message
    assert named in message, message


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("words: [unclosed\n", "not valid YAML at line 2"),
        ("- stalkin\n- stalking\n", "expected a mapping of sections (words, phrases,"),
        ("words: {}\nwords: {}\n", "section 'words' is given twice"),
    ],
)
def test_a_file_that_is_not_a_vocabulary_says_so_in_one_line(
    tmp_path: Path, text: str, named: str
) -> None:
    write_vocabulary(tmp_path / "kb", text)
    with pytest.raises(KnowledgeError) as caught:
        load_vocabulary(tmp_path / "kb")
    message = str(caught.value)
    assert "\n" not in message and message.startswith("kb/vocabulary.yaml: ")
    assert named in message, message


def test_every_problem_is_counted_in_the_one_line(tmp_path: Path) -> None:
    write_vocabulary(tmp_path / "kb", "words:\n  A: b\n  C: d\nsubject: [E]\n")
    with pytest.raises(KnowledgeError) as caught:
        load_vocabulary(tmp_path / "kb")
    assert len(caught.value.errors) == 3
    assert str(caught.value).endswith("key 'A' is not lower-case (and 2 more)")


def test_a_malformed_vocabulary_stops_the_knowledge_base_loading(
    make_entry: EntryWriter, tmp_path: Path
) -> None:
    make_entry(tmp_path)
    write_vocabulary(tmp_path, "words:\n  Stalkin: stalking\n")
    with pytest.raises(KnowledgeError, match=r"vocabulary\.yaml: field 'words': key 'Stalkin'"):
        KnowledgeBase.load(tmp_path, encoder=None)


def test_kb_check_reports_each_vocabulary_problem_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(FIXTURES, kb)
    write_vocabulary(kb, "words:\n  Stalkin: stalking\nsubject: [spo, spo]\n")
    problems = check_entries(kb, today=TODAY)
    assert [(p.path.name, p.field, p.severity) for p in problems] == [
        ("vocabulary.yaml", "words", "error"),
        ("vocabulary.yaml", "subject", "error"),
    ]
    assert main(["kb", "check", "--dir", str(kb), "--today", TODAY.isoformat()]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "error: kb/vocabulary.yaml: field 'words': key 'Stalkin' is not lower-case",
        "error: kb/vocabulary.yaml: field 'subject': item 2 'spo' is listed twice",
        "10 entries checked: 2 errors, 0 warnings",
    ]


def test_kb_check_compares_phrasings_in_the_networks_words(
    make_entry: EntryWriter, tmp_path: Path
) -> None:
    # the same question in two spellings: a near duplicate only once the vocabulary says
    # "spo" and "stalking protection order" are one thing
    make_entry(tmp_path, name="one", questions="\n  - who can apply for an spo\n  - spo applicant")
    make_entry(
        tmp_path,
        name="two",
        title="Applying for one",
        questions="\n  - who can apply for a stalking protection order\n  - applying for one",
    )
    assert check_entries(tmp_path, today=TODAY) == []
    shutil.copy(FIXTURES / "vocabulary.yaml", tmp_path / "vocabulary.yaml")
    warned = [p for p in check_entries(tmp_path, today=TODAY) if p.severity == "warning"]
    assert [(p.path.name, p.field) for p in warned] == [("two.md", "questions")]


def test_a_knowledge_base_without_a_vocabulary_searches_in_generic_english(
    make_entry: EntryWriter, tmp_path: Path
) -> None:
    make_entry(tmp_path)
    kb = KnowledgeBase.load(tmp_path, encoder=None)
    nz = kb.normaliser
    assert nz.analyse("pls wot thru") == []  # text-speak for stop words: English, kept in code
    assert nz.analyse("stalking protection order") == ["stalk", "protect", "order"]
    assert nz.expand("s4a") == "s4a"
    assert nz.subject == frozenset() and nz.canonical == frozenset()
    hits = kb.search("wot happens if someone breaches an SPO pls")
    assert [h.entry.id for h in hits] == ["spo-breach"]
    assert kb.triage("where do i park my car").kind == "off_topic"
    # entries indexed without a normaliser get the same: generic English, nothing of a network
    bare = KnowledgeBase.from_entries(kb.entries, encoder=None).normaliser
    assert bare.analyse("pls wot thru") == [] and bare.canonical == frozenset()
    assert bare.analyse("stalking protection order") == ["stalk", "protect", "order"]


def test_the_search_uses_the_shipped_vocabulary() -> None:
    kb = KnowledgeBase.load(SHIPPED, encoder=None)
    assert kb.normaliser.expand("s4a") == (
        "stalking fear of violence serious alarm distress section 4a"
    )
    assert kb.normaliser.analyse("stalking protection order") == ["spo"]
    assert kb.search("whats the max for 4a")[0].entry.id == "s4a-maximum-sentence"


def test_the_search_reads_the_vocabulary_file_not_code(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(FIXTURES, kb_dir)
    before = KnowledgeBase.load(kb_dir, encoder=None)
    assert before.normaliser.analyse("zzorder") == ["zzorder"]
    path = kb_dir / "vocabulary.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("words:\n", "words:\n  zzorder: spo\n", 1),
        encoding="utf-8",
    )
    after = KnowledgeBase.load(kb_dir, encoder=None)
    assert after.normaliser.analyse("zzorder") == ["spo"]
    assert after.search("how long does a zzorder last")[0].entry.id == "spo-duration"
