"""Spots a question about a live case ("my victim…", "he has breached…") and immediate risk."""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass

_PERSON = (
    r"(?:he|she|they|hes|shes|theyre|suspect|the suspect|sus|offender|perp|the ex|her ex|"
    r"his ex|ex|victim|the victim|vic|ip|stalker|the stalker)"
)
_ACTS = (
    r"(?:keeps|kept|has been|have been|had been|is|was|were|are|has|have|had|turned|turns|"
    r"sent|sends|texted|texts|called|calls|rang|rings|phoned|followed|follows|posted|posts|"
    r"messaged|messages|emailed|threatened|threatens|told|came|comes|went|left|broke|breached|"
    r"turned up|shows up|showed up|won t|wont|refuses|refused|did|does|just|still|now)"
)

# Each pattern is enough on its own: the question is about a particular case.
_STRONG: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("a case of their own", r"\b(?:my|our)\s+(?:victim|vic|ip|injured party|complainant|"
         r"suspect|sus|susp|offender|perp|job|case|investigation|aggrieved|caller|informant|"
         r"mispers|da job|dv job|stalking job|harassment job|file|case file|mg3|mg5|mg6|"
         r"oic|statement|interview|charging decision)s?\b"),
        ("this job", r"\b(?:this|the current)\s+(?:job|case|incident|report|investigation|"
         r"matter|crime)\b|\bon a job\b|\bdealing with a\b|\b(?:on|in|for|with) mine\b|"
         r"\bthe (?:stalking|harassment|dv|da|domestic) (?:job|case)\b|"
         r"\b(?:we|i)(?:ve| have)? (?:got|obtained|secured|applied for|put) (?:an? |the )?"
         r"[^.?!]{0,30}\b(?:for|on|against) (?:her|him)\b|\b(?:i|we)(?:ve| have)? got an? "
         r"|\b(?:i|we)(?:ve| have) (?:a|an) (?:job|case|victim|report|incident)\b"),
        ("this person", r"\bthis (?:lad|guy|bloke|man|woman|girl|boy|male|female|fella|fellow|"
         r"person|suspect|victim|couple|family|lady|gent|kid|teenager|youth|offender)\b"),
        ("an order on someone", r"\b(?:spo|order|ro|bail|injunction|nmo|dvpo|dapo|pin|"
         r"warning|conditions?|curfew)\s+(?:on|against)\s+(?:him|her|them)\b"),
        ("facts about him or her", r"\b(?:hes|shes|he has|she has|he is|she is|hes been|"
         r"shes been)\s+(?:come|been|got|gone|done|made|sent|had|never|already|just|"
         r"previously|recently|still|parked|outside|sat|sitting|waiting|standing|in bits|"
         r"bought|promised|moved|found|started|stopped|taken|posted|created|"
         r"terrified|petrified|scared|frightened|distraught|in pieces)\b"),
        ("the victim's state", r"\b(?:victim|vic|ip|complainant)\s+(?:is|was|has been|feels)\s+"
         r"(?:(?:very|really|so|extremely|now|still)\s+)?(?:anxious|scared|terrified|petrified|"
         r"frightened|distraught|devastated|furious|in bits|in pieces|traumatised)\b"),
        ("someone's act today", r"\b(?:suspect|offender|perpetrator|stalker|he|she)\s+"
         r"(?:sent|left|delivered|gave|dropped off|put)\b[^.?!]{0,40}\b(?:today|tonight|"
         r"this morning|yesterday|last night)\b"),
        ("what to charge", r"\bwhat\s+(?:should|shall|do|can|could|would)\s+(?:i|we)\s+"
         r"charge\b|\b(?:should|shall)\s+(?:i|we)\s+charge\b|\bcharge (?:him|her|them) with\b"),
        ("a decision about someone", r"\b(?:can|could|should|shall|do|must)\s+(?:i|we)\s+"
         r"(?:arrest|nick|lift|charge|caution|bail|nfa|interview|detain|release)\s+"
         r"(?:him|her|them|the suspect|the ex|my)\b"),
        # "is it harassment", not "what is it, harassment of MPs" (a name's meaning asked)
        ("is this a breach", r"(?<!what )\b(?:is|was|would)\s+(?:this|that|it)\s+(?:a |an )?"
         r"(?:breach|stalking|harassment|offence|enough|s2a|s4a|s2|s4|crime)\b|"
         r"\bdoes\s+(?:this|that|it)\s+(?:count|amount|meet|constitute)\b"),
        ("has breached", rf"\b{_PERSON}\s+(?:has|have|s|just|already)?\s*(?:breached|broken|"
         r"broke|violated)\b"),
        ("reported speech", r"\b(?:she|he|they|victim|the victim|vic|ip|complainant|suspect)\s+"
         r"(?:says|said|states|stated|told me|told us|reports|reported|claims|claimed|"
         r"alleges|alleged)\b|\b(?:says|said|claims|claimed|admits|admitted)\s+(?:he|she|they)\s+"
         r"(?:just|only|was|were|didnt|did not|never|wanted|meant)\b"),
        ("case facts", rf"\b{_PERSON}\s+{_ACTS}\s+(?:\w+\s+)?(?:texting|calling|ringing|"
         r"following|messaging|contacting|watching|threatening|harassing|stalking|emailing|"
         r"posting|turning up|sending|waiting|sitting|parked|outside|loitering|tracking|"
         r"turned up|sent|followed|threatened|messaged|texted|called|rang|rung|phoned)\b"),
        ("acts towards someone", r"\b(?:texting|calling|ringing|following|messaging|"
         r"contacting|watching|threatening|harassing|stalking|emailing|tracking|sending)\s+"
         r"(?:her|him|them|my|the victim|the ip)\b(?!\s+(?:is|be|an?|as)\b)"),
        ("the ex", r"\b(?:the|her|his|their|my)\s+ex\b|\bher\s+(?:ex\s*)?(?:partner|husband|"
         r"boyfriend)\b|\bhis\s+(?:ex\s*)?(?:partner|wife|girlfriend)\b"),
        ("someone's ex", r"\b(?!(?:it|wa|ha|thi|hi|i|a|u|u)s\b)[a-z]{2,}s\s+(?:ex|ex partner|"
         r"partner|boyfriend|girlfriend|husband|wife|neighbour|stalker)\s+(?:keeps|kept|has|"
         r"is|was|sent|turned|says|said|won t|wont|breached|posted|messaged|texted|rang)\b"),
        ("attending a job", r"\b(?:i|we)\s+(?:attended|went to|got called|was called|were "
         r"called|have been called|ve been called|responded to|took a report|took a call|"
         r"arrested|interviewed|nicked|charged|spoke to)\b|\bgot a (?:job|case|report|"
         r"call|victim|incident)\b"),
        ("a particular person", r"\bthe (?:guy|bloke|lad|male|female|man|woman|neighbour|"
         r"neighbor|landlord|colleague|boss|brother|husband|wife|boyfriend|girlfriend)\s+"
         r"(?:has|is|keeps|kept|sent|was|had|turned|says|said|wont|won t|just)\b"),
        ("on bail", r"\b(?:hes|shes|he is|she is|theyre|they are|suspect is)\s+(?:on bail|"
         r"on licence|on a restraining order|on an spo|under investigation|released|rui)\b"),
        ("a time and a person", r"\b(?:last night|this morning|yesterday|earlier today|"
         r"tonight|this afternoon|this evening|at the weekend|on (?:monday|tuesday|wednesday|"
         r"thursday|friday|saturday|sunday))\b[^.?!]*\b(?:he|she|they|him|her)\b|"
         r"\b(?:he|she|they)\b[^.?!]*\b(?:last night|this morning|yesterday|earlier today|"
         r"tonight|this afternoon|this evening)\b"),
        ("the victim's news", r"\b(?:the |my |our )?(?:victim|vic|ip|complainant)s?\s+"
         r"(?:has |have )?(?:found|wants (?:me|us)|asked (?:me|us)|has asked|just moved|rang|"
         r"called|came in|turned up|withdrew|retracted|disclosed|showed (?:me|us)|is an? "
         r"(?:\d+|young|elderly|vulnerable|male|female|child|teenager|pregnant))\b|"
         r"\b(?:told|informed|shown) by (?:the |my )?(?:victim|vic|ip|complainant)\b"),
        ("a job where", r"\b(?:a |the |this )?job (?:where|in which|with)\b|"
         r"\bmy (?:stalking|harassment|dv|da|domestic) (?:file|job|case|victim)s?\b"),
        ("what someone did to the victim", rf"\b{_PERSON}\s+(?:has |have |had )?(?:been )?"
         r"(?:just |now |also )?(?:followed|texted|messaged|called|rang|phoned|threatened|"
         r"assaulted|hit|grabbed|emailed|visited|approached|tracked|photographed|filmed|"
         r"contacted|posted|tagged|"
         r"created|remanded|bailed|released)\s+(?:the |my )?(?:victim|vic|ip|her|him|them|"
         r"new|fake|more|another|photos?|pictures?|but)\b"),
        ("keeps doing", r"\b(?:ex|suspect|stalker|offender|perp)\s+(?:keeps|kept|started|"
         r"has started|is still|are still)\s+\w+ing\b"),
        ("what now", r"\bwhat now\b|\bhow do (?:i|we) play (?:this|it)\b|\bimmediate steps\b|"
         r"\bcan (?:i|we) (?:push back|refuse|override|appeal|reapply)\b|"
         r"\bdo we take (?:it|this) (?:over|on)\b|\bmy gut\b"),
        ("a decision today", r"\b(?:got|was|were|been)\s+(?:refused|granted|rejected|"
         r"nfad|adjourned|dismissed|thrown out)\b[^.?!]{0,30}\b(?:today|yesterday|this morning|"
         r"this afternoon)\b"),
        ("without the victim", r"\b(?:can|could|should|shall)\s+(?:i|we)\s+(?:\w+\s+){1,3}"
         r"(?:without|for|against)\s+(?:her|him)\b"),
        ("what to do with someone", r"\b(?:do|should|can|shall)\s+(?:i|we)\s+(?:arrest|"
         r"charge|nfa|caution|bail|release|interview|seize|crime it|record it)\b[^.?!]*\b(?:him|"
         r"her|them|it)\b"),
    )
)  # fmt: skip

_IMMEDIATE: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("right now", r"\bright now\b|\bas we speak\b|\bat this moment\b|\bstill there\b|"
         r"\bcurrently (?:outside|at|in|there)\b"),
        ("there now", r"\b(?:is|s|are|re|hes|shes|theyre)\s+(?:outside|at|in|near|round|banging|"
         r"knocking|sat|sitting|parked|waiting|hanging)\b[^.?!]{0,40}\bnow\b|"
         r"\bnow\b[^.?!]{0,20}\b(?:outside|at her|at his|at the)\b"),
        ("threat to kill", r"\bthreat(?:en|ens|ening|ened)\s+to\s+kill\b|"
         r"\bthreats?\s+to\s+kill\s+(?:her|him|them|me|the victim)\b|"
         r"\b(?:going|gonna|will|wants to)\s+(?:to\s+)?kill\s+(?:her|him|them|me|the|himself|"
         r"herself)\b"),
        ("a weapon", r"\b(?:has|had|got|with|carrying|holding|armed with|brandishing|waving)\s+"
         r"(?:a |an |got a )?(?:knife|gun|firearm|weapon|blade|machete|axe|hammer|crossbow|"
         r"shotgun)\b|\barmed\b"),
        ("breaking in", r"\b(?:breaking|broke|broken|forcing|trying to get|trying to break|"
         r"kicking)\s+(?:in|into|the door|her door|his door|his way in|her way in)\b"),
        ("emergency", r"\b999\b|\bin danger\b|\bfears? for (?:her|his|their) (?:life|safety)\b|"
         r"\bscared for (?:her|his|their) life\b|\bstrangl\w*|\bchok(?:ing|ed)\b"),
    )
)  # fmt: skip

_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+[A-Z][a-z]+|\b([A-Z][a-z]+)\s+([A-Z][a-z]+)\b")
_NAMED_ACTOR = re.compile(
    r"\b([A-Z][a-z]{2,})\s+(?:keeps|kept|has|is|was|sent|texted|called|rang|followed|"
    r"turned|breached|threatened|messaged|posted|says|said|told)\b"
)
_NOT_NAMES = frozenset(
    str.split(
        """
    what who how when where why which can could should would is are does do did i if the a an
    my our he she they it this that there then and but or so hi hello hey please thanks
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december england wales scotland northern
    ireland uk police officer sergeant inspector pc ds dc sgt insp
    """
    )
)


_HYPOTHETICAL = re.compile(
    r"(?:what|how) (?:if|about if|happens if|would happen if)\b|if\b|say\b|suppose\b|"
    r"hypothetically\b|in general\b|generally\b|as a rule\b"
)
_PRONOUN_ONLY = frozenset(
    {
        "reported speech",
        "case facts",
        "acts towards someone",
        "has breached",
        "facts about him or her",
        "what someone did to the victim",
        "keeps doing",
        "the victim's news",
    }
)


@dataclass(frozen=True)
class CaseSignals:
    """What the question's wording says about a live case and about immediate risk."""

    live_case: bool
    immediate_risk: bool
    reasons: tuple[str, ...]


def _flatten(text: str) -> str:
    text = re.sub(r"[\u2018\u2019'`]", "", text.lower())
    return " ".join(re.sub(r"[^a-z0-9.?!]+", " ", text).split())


def _named_person(text: str, known_words: Container[str]) -> bool:
    """Two capitalised words, or a title and a name, that are not the subject's own vocabulary
    ("John Smith keeps texting her" but not "Suzy Lamplugh Trust" or "Stalking Protection")."""

    def is_name(word: str) -> bool:
        lower = word.lower()
        return lower not in _NOT_NAMES and lower not in known_words

    for match in _NAME.finditer(text):
        first, second = match.group(1), match.group(2)
        if first is None:
            return True  # Mr Smith
        if is_name(first) and is_name(second):
            return True
    return any(is_name(m.group(1)) for m in _NAMED_ACTOR.finditer(text))


def detect(text: str, *, known_words: Container[str] = frozenset()) -> CaseSignals:
    """Whether `text` asks about a live case, and whether it suggests immediate risk.
    `known_words` (the knowledge base's own words, lower case) keeps the names of charities,
    Acts and people the knowledge base talks about from counting as someone in a case."""
    flat = _flatten(text)
    reasons = [name for name, pattern in _STRONG if pattern.search(flat)]
    if _HYPOTHETICAL.match(flat):
        # "what if he says…" is a general question put as an example, unless it also says
        # whose case it is ("my victim", "this job", a name)
        reasons = [r for r in reasons if r not in _PRONOUN_ONLY]
    if _named_person(text, known_words):
        reasons.append("a named person")
    risks = [name for name, pattern in _IMMEDIATE if pattern.search(flat)]
    return CaseSignals(
        live_case=bool(reasons or risks),
        immediate_risk=bool(risks),
        reasons=tuple(reasons + risks),
    )
