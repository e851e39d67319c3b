"""A consult's outcome picks: their words, the Resolve modal's pick blocks, and reading them
back from a submitted modal."""

from __future__ import annotations

from typing import Any

from bot.domain.outcomes import (
    ArrestAdvised,
    OffenceAdvised,
    OutcomePicks,
    Referral,
    RiskStep,
    SpoAdvice,
)
from bot.views.blocks import Block, input_block

# The Resolve modal's blocks for the picks (the free-text outcome is "outcome").
OFFENCE, ARREST, SPO, RISK, REFERRALS = (
    "pick_offence",
    "pick_arrest",
    "pick_spo",
    "pick_risk",
    "pick_referrals",
)

OFFENCE_WORDS = {
    OffenceAdvised.S2: "s2 harassment",
    OffenceAdvised.S2A: "s2A stalking",
    OffenceAdvised.S4: "s4 harassment (fear of violence)",
    OffenceAdvised.S4A: "s4A stalking (fear of violence, serious alarm or distress)",
    OffenceAdvised.OTHER: "Another offence",
    OffenceAdvised.NONE_YET: "No offence yet",
    OffenceAdvised.NOT_DISCUSSED: "Not discussed",
}
ARREST_WORDS = {
    ArrestAdvised.YES: "Yes",
    ArrestAdvised.NO: "No",
    ArrestAdvised.ALREADY: "Already arrested",
}
SPO_WORDS = {
    SpoAdvice.APPLIED: "Applied for",
    SpoAdvice.RECOMMENDED: "Recommended",
    SpoAdvice.NOT_SUITABLE: "Considered, not suitable",
    SpoAdvice.NOT_DISCUSSED: "Not discussed",
}
RISK_WORDS = {
    RiskStep.ASSESSMENT: "Risk assessment done or advised",
    RiskStep.ESCALATED: "Risk escalated",
    RiskStep.MARAC: "MARAC referral",
}
REFERRAL_WORDS = {
    Referral.ISAC: "ISAC or advocacy service",
    Referral.HELPLINE: "National Stalking Helpline",
    Referral.PALADIN: "Paladin",
}


def _options(words: dict[Any, str]) -> list[dict[str, Any]]:
    return [
        {"text": {"type": "plain_text", "text": text}, "value": key.value}
        for key, text in words.items()
    ]


def pick_blocks() -> list[Block]:
    """The optional picks of what the advice covered, a tap each."""
    radio = "radio_buttons"
    return [
        input_block(
            OFFENCE,
            "Offence advised",
            {"type": radio, "options": _options(OFFENCE_WORDS)},
            optional=True,
        ),
        input_block(
            ARREST,
            "Arrest advised",
            {"type": radio, "options": _options(ARREST_WORDS)},
            optional=True,
        ),
        input_block(
            SPO,
            "Stalking Protection Order",
            {"type": radio, "options": _options(SPO_WORDS)},
            optional=True,
        ),
        input_block(
            RISK,
            "Risk (tick all that apply)",
            {"type": "checkboxes", "options": _options(RISK_WORDS)},
            optional=True,
        ),
        input_block(
            REFERRALS,
            "Referrals (tick all that apply)",
            {"type": "checkboxes", "options": _options(REFERRAL_WORDS)},
            optional=True,
        ),
    ]


def _chosen(values: dict[str, Any], block: str) -> list[str]:
    """The option values picked in one block; nothing for a missing or malformed one."""
    held = values.get(block) if isinstance(values, dict) else None
    state = held.get("value") if isinstance(held, dict) else None
    if not isinstance(state, dict):
        return []
    one = state.get("selected_option")
    if isinstance(one, dict):
        return [str(one.get("value"))]
    many = state.get("selected_options")
    return (
        [str(o.get("value")) for o in many if isinstance(o, dict)] if isinstance(many, list) else []
    )


def _one(cls: Any, values: dict[str, Any], block: str) -> Any:
    chosen = _chosen(values, block)
    try:
        return cls(chosen[0]) if chosen else None
    except ValueError:
        return None  # an option this version does not know: treated as not picked


def _many(cls: Any, values: dict[str, Any], block: str) -> frozenset[Any]:
    known = {m.value for m in cls}
    return frozenset(cls(v) for v in _chosen(values, block) if v in known)


def read_picks(values: dict[str, Any]) -> OutcomePicks:
    """The picks from a submitted Resolve modal's `state.values` (missing ones are None)."""
    return OutcomePicks(
        offence=_one(OffenceAdvised, values, OFFENCE),
        arrest=_one(ArrestAdvised, values, ARREST),
        spo=_one(SpoAdvice, values, SPO),
        risk=_many(RiskStep, values, RISK),
        referrals=_many(Referral, values, REFERRALS),
    )
