"""The words around a question that change nothing (greetings, thanks, references), help, and
where a network's subject ends (`Scope`, read from its vocabulary)."""

# Hand-written: the framing officers put around a question in Slack is a short, closed list of
# greetings, sign-offs and reference numbers; no kept library strips it.

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

_GREETING = (
    r"(?:hi+|hiya|hey+|hello+|helo|yo|howdy|greetings|morning|afternoon|evening|"
    r"good (?:morning|afternoon|evening|day)|g ?morning|mornin)"
)
_AUDIENCE = r"(?:all|everyone|team|folks|guys|there|champions?|bot|mate|both|people)"
_THANKS = (
    r"(?:thanks+|thank you|thankyou|thank u|thx|ta|cheers|many thanks|much appreciated|"
    r"appreciated|tia|thanks in advance|cheers in advance|ty)"
)
_LEAD_INS = (
    r"(?:quick one|quick q|quick question|a quick question|query|urgent|"
    r"urgent please|urgent one|asap|sorry to bother you|sorry to bother|sorry|please|pls|plz|"
    r"help please|can i ask|can i ask a question|got a question|i have a question|"
    r"general question|random one|another one|one more|ok|okay|um|erm|hmm)"
)
_THANKS_ALL = (
    rf"(?:{_THANKS}(?: (?:all|everyone|team|folks|guys|mate|so much|very much|a lot|"
    r"again|in advance))*(?:[\s,.!]+(?:that['\u2019]?s|that s|that is|that was|very|really|so|"
    r"super|most)?\s*(?:really |very |so )?(?:helpful|useful|great|brilliant|perfect|"
    r"spot on|ideal|lovely|kind))?)"
)
_SIGN_OFFS = (
    rf"(?:{_THANKS_ALL}|please|pls|plz|asap|urgent|urgently|if you can|when you can|"
    r"if poss|if possible|x+)"
)
# Officers' references: a job, log, incident or crime number; a collar or shoulder number.
_REFERENCE = re.compile(
    r"[(\[]?\s*\b(?:(?:job|log|cad|incident|occurrence|crime|storm|niche|athena|urn|ref|"
    r"reference|case)\s*(?:ref(?:erence)?|no|number|num|nr)?\.?\s*[:#]?\s*\d[\d/\-]*|"
    r"(?:pc|dc|ps|ds|sgt|cst|psc|pcso|collar|shoulder|warrant)\s*(?:no|number|num)?\.?\s*"
    r"[:#]?\s*\d{2,}[a-z]?)(?:\s+(?:here|speaking))?\s*[)\]]?",
    re.IGNORECASE,
)
_LEADING = re.compile(
    rf"^(?:{_GREETING}(?:\s+{_AUDIENCE})?|{_LEAD_INS}|{_THANKS_ALL})\b[\s,.:;!\-\u2013\u2014]*",
    re.IGNORECASE,
)
_TRAILING = re.compile(rf"[\s,.;:!\-\u2013\u2014]*\b{_SIGN_OFFS}[\s.!,)x]*$", re.IGNORECASE)
_EDGE_NOISE = re.compile(r"^[\s\W_]+|[\s,.;:!\-\u2013\u2014*_~(\[]+$")
_QUESTION_MARKS = re.compile(r"\s*[?!]*\?[?!]*")
_SPACES = re.compile(r"\s+")

# Asking what the bot is, or for help with it, rather than asking it something.
_HELP = re.compile(
    r"^(?:help|help me|help please|menu|start|commands|options|info|about|"
    r"what (?:can|do|does|should|could) (?:you|this bot|this|the bot|i) (?:do|ask|help with|"
    r"ask you|answer|use you for|use this for|ask about)(?: here| for me)?|"
    r"what are you|who are you|what is this|what s this|whats this|what is this bot|"
    r"(?:this is )?(?:my )?first time (?:using|on|trying) (?:this|you|the bot)|"
    r"are you (?:a bot|a real person|real|a person|human)(?: or (?:a )?(?:real )?(?:person|"
    r"human|bot))?|"
    r"what (?:sort|sorts|kind|kinds|type|types) of (?:questions|things|stuff) (?:can|do|should) "
    r"i ask(?: you)?(?: about)?|what (?:questions|things) can i ask(?: you)?|"
    r"what is this bot for|what is this for|whats this for|what s this for|"
    r"how (?:does|do) (?:this|you|the bot|this bot) work|how do i use (?:this|you|the bot)|"
    r"how can you help|how can you help me|can you help|can you help me|are you a bot|"
    r"are you there|anyone there|test|testing|you there)$",
    re.IGNORECASE,
)


def strip_framing(text: str) -> str:
    """The question without the greetings, thanks, lead-ins ("quick one", "urgent"), references
    (a job or collar number) and stray punctuation around it: the same question with or
    without them gives the same text. Words inside the question are left as they are."""
    text = _REFERENCE.sub(" ", text)
    text = _QUESTION_MARKS.sub("? ", text)
    previous = None
    while previous != text:
        previous = text
        text = _EDGE_NOISE.sub("", text)
        text = _LEADING.sub("", text)
        text = _TRAILING.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    text = text.rstrip("? ").strip()
    return text


def _flat(text: str) -> str:
    return _SPACES.sub(" ", re.sub(r"[^\w\s]", " ", text.replace("\u2019", "'"))).strip()


def is_greeting(text: str) -> bool:
    """Whether the message only greets, thanks or asks what the bot does ("hi", "thanks",
    "help", "what can you do?"): nothing is left once the framing is taken away, or what is
    left asks for help with the bot itself."""
    rest = strip_framing(text)
    if not rest:
        return True
    return bool(_HELP.match(_flat(rest.replace("'", ""))))


@dataclass(frozen=True)
class Scope:
    """Where the network's subject ends, from its vocabulary (`elsewhere`, `named_elsewhere`,
    `own_subject`, `core`, `examples` in `knowledge/vocabulary.yaml`): each a list of regular
    expressions over the question, matched as whole words, case aside. The empty scope sends
    nothing elsewhere: a network without a vocabulary answers or declines on its entries alone."""

    # other parts of policing (another offence, the sex offenders' register, IT, HR, rotas)
    elsewhere: tuple[str, ...] = ()
    # another area's own Acts and orders: named, they outweigh the section numbers the subject
    # shares ("s4 Public Order Act" is not s4 of the Protection from Harassment Act)
    named_elsewhere: tuple[str, ...] = ()
    # the network's own subject: a question naming one is never sent elsewhere
    own_subject: tuple[str, ...] = ()
    # the subject's core words, which keep a question in even beside another area's Act
    core: tuple[str, ...] = ()
    # entries whose questions the introduction gives as examples, when they exist
    examples: tuple[str, ...] = field(default=())

    @cached_property
    def _patterns(self) -> tuple[re.Pattern[str] | None, ...]:
        return tuple(
            re.compile(r"\b(?:" + "|".join(items) + r")\b", re.IGNORECASE) if items else None
            for items in (self.elsewhere, self.named_elsewhere, self.own_subject, self.core)
        )

    def is_elsewhere(self, text: str) -> bool:
        """Whether the question is about another part of policing and not the network's
        subject: it names another area's Act or order without the subject's core words, or it
        names another area and nothing of the subject."""
        other, named, own, core = self._patterns
        if named is not None and named.search(text) and not (core and core.search(text)):
            return True
        if other is None or not other.search(text):
            return False
        # the subject's words inside another area's name ("bullying and harassment at work")
        # name that area, not the subject
        return not (own and own.search(other.sub(" ", text)))
