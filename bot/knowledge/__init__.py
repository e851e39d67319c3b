"""Knowledge base: curated entries, their validation, and the search that answers officers."""

from bot.knowledge.entries import Entry, KnowledgeError, Source, load_entries, load_entry
from bot.knowledge.search import Hit, KnowledgeBase, Triage

__all__ = [
    "Entry",
    "Hit",
    "KnowledgeBase",
    "KnowledgeError",
    "Source",
    "Triage",
    "load_entries",
    "load_entry",
]
