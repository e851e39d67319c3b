"""What a consult's advice covered, as the champion picks it when resolving: the offence
advised, arrest, a Stalking Protection Order, risk and referrals. Picks are choices, never free
text, so they outlive the outcome's text and feed the figures."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class OffenceAdvised(enum.StrEnum):
    """The offence the champion advised (Protection from Harassment Act 1997 sections)."""

    S2 = "s2"  # harassment
    S2A = "s2a"  # stalking
    S4 = "s4"  # harassment: putting people in fear of violence
    S4A = "s4a"  # stalking involving fear of violence or serious alarm or distress
    OTHER = "other"
    NONE_YET = "none_yet"
    NOT_DISCUSSED = "not_discussed"


STALKING_OFFENCES = frozenset({OffenceAdvised.S2A, OffenceAdvised.S4A})
HARASSMENT_OFFENCES = frozenset({OffenceAdvised.S2, OffenceAdvised.S4})


class ArrestAdvised(enum.StrEnum):
    """Whether the champion advised an arrest."""

    YES = "yes"
    NO = "no"
    ALREADY = "already"  # the suspect was already arrested


class SpoAdvice(enum.StrEnum):
    """What was said of a Stalking Protection Order."""

    APPLIED = "applied"
    RECOMMENDED = "recommended"
    NOT_SUITABLE = "not_suitable"  # considered and not suitable
    NOT_DISCUSSED = "not_discussed"


class RiskStep(enum.StrEnum):
    """Risk steps taken or advised; several may apply."""

    ASSESSMENT = "assessment"  # a risk assessment done or advised
    ESCALATED = "escalated"
    MARAC = "marac"  # a referral to the multi-agency risk assessment conference


class Referral(enum.StrEnum):
    """Where the victim was referred; several may apply."""

    ISAC = "isac"  # an independent stalking advocacy caseworker or advocacy service
    HELPLINE = "helpline"  # the National Stalking Helpline
    PALADIN = "paladin"


@dataclass(frozen=True)
class OutcomePicks:
    """The champion's picks for one consult; every one optional."""

    offence: OffenceAdvised | None = None
    arrest: ArrestAdvised | None = None
    spo: SpoAdvice | None = None
    risk: frozenset[RiskStep] = field(default_factory=frozenset)
    referrals: frozenset[Referral] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        """Whether nothing was picked."""
        return (
            self.offence is None
            and self.arrest is None
            and self.spo is None
            and not self.risk
            and not self.referrals
        )

    def summary(self) -> str:
        """The picks as one short line of codes, for the audit trail (no free text)."""
        parts = [
            f"offence={self.offence.value}" if self.offence else "",
            f"arrest={self.arrest.value}" if self.arrest else "",
            f"spo={self.spo.value}" if self.spo else "",
            "risk=" + "+".join(sorted(r.value for r in self.risk)) if self.risk else "",
            "referrals=" + "+".join(sorted(r.value for r in self.referrals))
            if self.referrals
            else "",
        ]
        return "; ".join(p for p in parts if p) or "none"
