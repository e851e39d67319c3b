"""A question's text: cleaned of control and invisible characters, and checked for length."""

from __future__ import annotations

import re
import unicodedata

from bot.domain.errors import EmptyQuestion, QuestionTooLong

MAX_QUESTION_CHARS = 3000
_CONTROL = re.compile(
    r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]"
)
_SPACES = re.compile(r"[ \t]+")


def clean_question(text: str) -> str:
    """The question with control and invisible characters removed and spacing tidied."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def validate_question(text: str, *, subject: str) -> str:
    """The cleaned question, or ServiceError saying plainly what to do instead."""
    cleaned = clean_question(text)
    if not cleaned:
        raise EmptyQuestion(subject)
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise QuestionTooLong(len(cleaned), MAX_QUESTION_CHARS)
    return cleaned
