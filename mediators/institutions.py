"""Which institution takes a case: by category, then location, then load. Pure.

Only active institutions that take the case's dispute category and have at
least one active mediator with that specialty qualify. Among them, one in the
district of the parties comes first; then the lowest utilisation (open cases
over capacity of those mediators); then the lower id, so the choice is
deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mediators.scoring import CaseFacts, MediatorFacts, same_district

RULE = "category, then location (the parties' district), then load (utilisation), then id"


@dataclass(frozen=True)
class InstitutionFacts:
    id: int
    categories: tuple[str, ...]
    district: str
    active: bool = True


@dataclass(frozen=True)
class InstitutionScore:
    id: int
    district: str
    same_district: bool
    load: int
    capacity: int

    @property
    def utilisation(self) -> float:
        return self.load / self.capacity if self.capacity else 1.0

    @property
    def sort_key(self) -> tuple[int, float, int]:
        return (0 if self.same_district else 1, self.utilisation, self.id)

    def explain(self) -> dict[str, object]:
        return {
            "institution_id": self.id, "district": self.district,
            "same_district": self.same_district, "load": self.load, "capacity": self.capacity,
            "utilisation": round(self.utilisation, 3),
        }


def rank_institutions(
    case: CaseFacts, institutions: Iterable[InstitutionFacts], mediators: Iterable[MediatorFacts]
) -> tuple[list[InstitutionScore], dict[int, str]]:
    """Qualifying institutions best first, and why each other one was left out."""
    load: dict[int, int] = {}
    capacity: dict[int, int] = {}
    for m in mediators:
        if m.active and case.category in m.specialties:
            load[m.institution_id] = load.get(m.institution_id, 0) + m.load
            capacity[m.institution_id] = capacity.get(m.institution_id, 0) + m.capacity
    ranked: list[InstitutionScore] = []
    refused: dict[int, str] = {}
    for inst in institutions:
        if not inst.active:
            refused[inst.id] = "not active"
        elif case.category not in inst.categories:
            refused[inst.id] = f"does not take {case.category} disputes"
        elif not capacity.get(inst.id):
            refused[inst.id] = f"no active mediator specialised in {case.category}"
        else:
            ranked.append(InstitutionScore(
                id=inst.id, district=inst.district,
                same_district=same_district(case.district, inst.district),
                load=load[inst.id], capacity=capacity[inst.id],
            ))
    ranked.sort(key=lambda s: s.sort_key)
    return ranked, refused


def explain_choice(case: CaseFacts, ranked: list[InstitutionScore], refused: dict[int, str]) -> dict[str, object]:
    """Why the first institution of ``ranked`` was chosen, for the institution admin."""
    chosen = ranked[0]
    if chosen.same_district and not all(r.same_district for r in ranked):
        why = f"in the parties' district ({case.district})"
    elif len(ranked) > 1:
        why = "lowest load among the institutions equally placed"
    else:
        why = "the only institution that takes this category"
    return {
        "rule": RULE,
        "chosen": chosen.id,
        "why": why,
        "case_district": case.district,
        "candidates": [r.explain() for r in ranked],
        "refused": {str(k): v for k, v in sorted(refused.items())},
    }
