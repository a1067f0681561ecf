"""The L15 content checks run before any signature (and before an oral agreement is recorded).

Pure: the caller gives the case's party ids, its channel and today's date
(Asia/Shanghai). An empty list means the content may be signed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from agreements.content import AgreementContent

#: Court-invited mediation (委派/委托): manner and deadline of every term are mandatory (SMR 24).
INVITED_CHANNELS = frozenset({"delegated", "entrusted"})
#: A sanity cap on one term's amount: 100 billion yuan in fen. Above it is a typing error.
MAX_AMOUNT_FEN = 10_000_000_000_000
MAX_YEARS_AHEAD = 10


@dataclass(frozen=True)
class Problem:
    """One thing that stops the content from being signed: where, a stable code, and why."""

    field: str  # e.g. "facts", "parties", "terms.t1.due_on"
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def problems(
    content: AgreementContent, *, party_ids: set[int], channel: str, today: date
) -> list[Problem]:
    """Every L15 problem of ``content`` (empty when it may be signed)."""
    found: list[Problem] = []
    named = [p.party_id for p in content.parties]
    for missing in sorted(party_ids - set(named)):
        found.append(Problem("parties", "party_missing",
                             f"party #{missing} of the case is not named in the agreement (L15)"))
    for stranger in sorted(set(named) - party_ids):
        found.append(Problem("parties", "unknown_party",
                             f"party #{stranger} is not a party of this case"))
    if len(named) != len(set(named)):
        found.append(Problem("parties", "duplicate_party", "a party is named twice"))
    for i, party in enumerate(content.parties):
        if not party.name.strip():
            found.append(Problem(f"parties.{i}.name", "required", "the party's name is missing"))
    for name, label in (("facts", "the main facts"), ("disputed_matters", "the disputed matters")):
        if not getattr(content, name).strip():
            found.append(Problem(name, "required", f"{label} must be stated (L15)"))
    if not content.terms:
        found.append(Problem("terms", "required", "at least one agreed term is needed (L15)"))
    keys = [t.key for t in content.terms]
    if len(keys) != len(set(keys)):
        found.append(Problem("terms", "duplicate_key", "two terms have the same key"))
    invited = channel in INVITED_CHANNELS
    latest = _years_later(today, MAX_YEARS_AHEAD)
    for term in content.terms:
        at = f"terms.{term.key}"
        if not term.text.strip():
            found.append(Problem(f"{at}.text", "required", "the term says nothing"))
        if not term.obligor_party_ids:
            found.append(Problem(f"{at}.obligor_party_ids", "required",
                                 "the term must name who performs it"))
        for field in ("obligor_party_ids", "obligee_party_ids"):
            strangers = sorted(set(getattr(term, field)) - party_ids)
            if strangers:
                found.append(Problem(f"{at}.{field}", "unknown_party",
                                     f"party #{strangers[0]} is not a party of this case"))
        if term.amount_fen is not None and not 0 <= term.amount_fen <= MAX_AMOUNT_FEN:
            found.append(Problem(f"{at}.amount_fen", "amount_out_of_range",
                                 "the amount must be whole fen between 0 and 100 billion yuan"))
        needs_schedule = invited or term.amount_fen is not None
        why = "in court-invited mediation (SMR 24)" if invited else "for a term with an amount"
        if needs_schedule and not term.manner.strip():
            found.append(Problem(f"{at}.manner", "required",
                                 f"the manner of performance is required {why} (L15)"))
        if needs_schedule and term.due_on is None:
            found.append(Problem(f"{at}.due_on", "required",
                                 f"the deadline of performance is required {why} (L15)"))
        if term.due_on is not None and term.due_on < today:
            found.append(Problem(f"{at}.due_on", "date_in_past",
                                 "the deadline of performance is already past"))
        if term.due_on is not None and term.due_on > latest:
            found.append(Problem(f"{at}.due_on", "date_too_far",
                                 f"the deadline is more than {MAX_YEARS_AHEAD} years ahead"))
    return found
