"""Who may mediate a case, and how well each eligible mediator fits it: pure, no database.

Eligibility (every rule must hold, checked in this order so a refusal names
the first rule that failed):

1. ``status``: the mediator is active (not suspended, not gone);
2. ``institution``: a case that already has an institution gets one of its mediators;
3. ``specialty``: the case's dispute category is among the mediator's specialties;
4. ``excluded``: not a mediator who already held or declined this case (L6: never the same);
5. ``conflict``: no declared or automatic conflict with a party (L7);
6. ``capacity``: fewer open cases than the mediator's maximum;
7. ``availability``: works at least once before the acceptance deadline (weekly hours, leave).

Fit is a cost in integer points, lower is better, the sum of parts:

- ``specialty_fit``: 0 for the mediator's first specialty, +100 per place further down;
- ``language``: +300 per language the parties need that the mediator does not speak;
- ``location``: +100 when the mediator's institution is in another district than the case;
- ``outcomes``: up to +200 for a low share of past mediations that ended in agreement
  (smoothed, so a new mediator starts in the middle);
- ``load``: the marginal cost of one more case, ``100 * (2L + 1) / C`` for load L and
  capacity C. Summed over a mediator's cases this is ``100 * C * u**2`` (u = L / C): convex,
  so the optimiser spreads cases to even out utilisation.

Ties are broken deterministically: lower cost, then lower utilisation after the
assignment, then the lower user id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Rule(StrEnum):
    STATUS = "status"
    INSTITUTION = "institution"
    SPECIALTY = "specialty"
    EXCLUDED = "excluded"
    CONFLICT = "conflict"
    CAPACITY = "capacity"
    AVAILABILITY = "availability"


RULE_ORDER: tuple[Rule, ...] = tuple(Rule)

RULE_TEXT: dict[Rule, str] = {
    Rule.STATUS: "the mediator is not active (suspended or no longer with the institution)",
    Rule.INSTITUTION: "the mediator belongs to another institution than the case's",
    Rule.SPECIALTY: "the case's dispute category is not among the mediator's specialties",
    Rule.EXCLUDED: "the mediator already held or declined this case",
    Rule.CONFLICT: "the mediator has a conflict of interest with a party (L7)",
    Rule.CAPACITY: "the mediator has no capacity left",
    Rule.AVAILABILITY: "the mediator is not available before the acceptance deadline (L6)",
}

TIE_BREAK = "lowest cost, then lowest utilisation after the assignment, then lowest user id"


@dataclass(frozen=True)
class Weights:
    specialty_step: int = 100
    language_missing: int = 300
    location_away: int = 100
    outcomes: int = 200
    load: int = 100


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class CaseFacts:
    """What the engine needs of a case."""

    case_id: int
    category: str
    languages: frozenset[str] = frozenset({"zh"})
    district: str = ""
    institution_id: int | None = None  # set: only this institution's mediators

    @property
    def class_key(self) -> tuple[str, tuple[str, ...], str, int | None]:
        """Cases with the same key cost the same with every mediator (conflicts aside)."""
        return (self.category, tuple(sorted(self.languages)), self.district, self.institution_id)


@dataclass(frozen=True)
class MediatorFacts:
    """What the engine needs of a mediator (``user_id`` identifies it)."""

    user_id: int
    institution_id: int
    specialties: tuple[str, ...]
    capacity: int
    load: int = 0
    languages: frozenset[str] = frozenset({"zh"})
    district: str = ""
    active: bool = True
    available: bool = True  # before the acceptance deadline; computed by ``availability``
    agreed: int = 0  # past mediations that ended in agreement
    closed: int = 0  # past mediations that ended at all

    @property
    def free(self) -> int:
        return max(self.capacity - self.load, 0)


def specialty_rank(specialties: Iterable[str], category: str) -> int | None:
    """0 for the first specialty, 1 for the second...; None when the category is not one."""
    for index, name in enumerate(specialties):
        if name == category:
            return index
    return None


def same_district(a: str, b: str) -> bool:
    """Districts are compared by their Chinese name ("浦东新区 Pudong" ~ "浦东新区")."""
    if not a or not b:
        return False
    return a.split()[0] == b.split()[0]


def agreement_rate(agreed: int, closed: int) -> float:
    """Share of past mediations that ended in agreement, smoothed towards one half."""
    return (agreed + 1) / (closed + 2)


def pair_parts(case: CaseFacts, mediator: MediatorFacts, weights: Weights = DEFAULT_WEIGHTS) -> dict[str, int]:
    """The parts of the cost that depend on the case and the mediator, not on load."""
    rank = specialty_rank(mediator.specialties, case.category)
    missing = len(case.languages - mediator.languages)
    outcome = round(weights.outcomes * (1 - agreement_rate(mediator.agreed, mediator.closed)))
    return {
        "specialty_fit": weights.specialty_step * (rank if rank is not None else 0),
        "language": weights.language_missing * missing,
        "location": 0 if same_district(case.district, mediator.district) else weights.location_away,
        "outcomes": outcome if weights.outcomes else 0,
    }


def slot_cost(load: int, capacity: int, weights: Weights = DEFAULT_WEIGHTS) -> int:
    """The marginal cost of the (load+1)-th case on a mediator of ``capacity``: convex in load."""
    if capacity <= 0:
        raise ValueError("capacity must be positive")
    return round(weights.load * (2 * load + 1) / capacity)


def failed_rules(
    case: CaseFacts,
    mediator: MediatorFacts,
    *,
    conflicted: bool = False,
    excluded: bool = False,
    ignore: frozenset[Rule] = frozenset(),
) -> list[Rule]:
    """Every eligibility rule ``mediator`` fails for ``case``, in ``RULE_ORDER``."""
    failed: list[Rule] = []
    if not mediator.active:
        failed.append(Rule.STATUS)
    if case.institution_id is not None and mediator.institution_id != case.institution_id:
        failed.append(Rule.INSTITUTION)
    if specialty_rank(mediator.specialties, case.category) is None:
        failed.append(Rule.SPECIALTY)
    if excluded:
        failed.append(Rule.EXCLUDED)
    if conflicted:
        failed.append(Rule.CONFLICT)
    if mediator.load >= mediator.capacity:
        failed.append(Rule.CAPACITY)
    if not mediator.available:
        failed.append(Rule.AVAILABILITY)
    return [rule for rule in failed if rule not in ignore]


@dataclass(frozen=True)
class Scored:
    """One eligible mediator with the cost of giving it the case, part by part."""

    mediator: MediatorFacts
    parts: dict[str, int]

    @property
    def cost(self) -> int:
        return sum(self.parts.values())

    @property
    def utilisation_after(self) -> float:
        return (self.mediator.load + 1) / self.mediator.capacity

    @property
    def sort_key(self) -> tuple[int, float, int]:
        return (self.cost, self.utilisation_after, self.mediator.user_id)

    def explain(self) -> dict[str, object]:
        m = self.mediator
        return {
            "mediator_id": m.user_id,
            "cost": self.cost,
            "parts": dict(self.parts),
            "load": m.load,
            "capacity": m.capacity,
            "specialties": list(m.specialties),
            "agreement_rate": round(agreement_rate(m.agreed, m.closed), 3),
        }


@dataclass
class Ranking:
    """Eligible mediators best first, and why the others were left out."""

    candidates: list[Scored]
    refused: dict[int, list[Rule]] = field(default_factory=dict)

    @property
    def best(self) -> Scored | None:
        return self.candidates[0] if self.candidates else None

    def refusal_counts(self) -> dict[str, int]:
        """How many mediators each rule left out (a mediator counts under its first failed rule)."""
        counts: dict[str, int] = {}
        for rules in self.refused.values():
            counts[rules[0]] = counts.get(rules[0], 0) + 1
        return counts

    def why_none(self) -> str:
        """A sentence for the institution admin's queue when no one is eligible."""
        if not self.refused:
            return "no mediator is registered for this case's institution"
        counts = self.refusal_counts()
        parts = [f"{n} {RULE_TEXT[Rule(rule)].removeprefix('the mediator ')}" for rule, n in
                 sorted(counts.items(), key=lambda kv: RULE_ORDER.index(Rule(kv[0])))]
        return "no eligible mediator: " + "; ".join(parts)


def score(case: CaseFacts, mediator: MediatorFacts, weights: Weights = DEFAULT_WEIGHTS) -> Scored:
    parts = pair_parts(case, mediator, weights)
    parts["load"] = slot_cost(mediator.load, mediator.capacity, weights)
    return Scored(mediator=mediator, parts=parts)


def rank(
    case: CaseFacts,
    mediators: Iterable[MediatorFacts],
    *,
    conflicts: Mapping[int, object] | frozenset[int] | set[int] = frozenset(),
    excluded: frozenset[int] | set[int] = frozenset(),
    weights: Weights = DEFAULT_WEIGHTS,
    ignore: frozenset[Rule] = frozenset(),
) -> Ranking:
    """Rank ``mediators`` for ``case``: eligible ones by cost with the deterministic tie-break.

    ``conflicts`` holds the user ids in conflict with the case's parties;
    ``excluded`` those who already held or declined it; ``ignore`` the rules an
    admin's override may set aside (never status, conflict or capacity).
    """
    scored: list[Scored] = []
    refused: dict[int, list[Rule]] = {}
    for mediator in mediators:
        failed = failed_rules(
            case, mediator, conflicted=mediator.user_id in conflicts,
            excluded=mediator.user_id in excluded, ignore=ignore,
        )
        if failed:
            refused[mediator.user_id] = failed
        else:
            scored.append(score(case, mediator, weights))
    scored.sort(key=lambda s: s.sort_key)
    return Ranking(candidates=scored, refused=refused)
