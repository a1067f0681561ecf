"""Rules of the agreements part: drafting and signing (L15-L19, decided on a
``CaseView``), judicial confirmation (L20-L27, on a ``ConfirmationView``: the
court is the application's, not the case's referring court), court filings
(L37, on a ``CourtFilingView``) and performance.

The policy answers "some party may sign"; the signing service then checks the
very party the signature is for (its own party, or the principal of the
agent's authorization with the ``sign_agreement`` scope).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from odr.accounts.models import Role
from odr.cases.lifecycle import CaseStatus
from odr.policy.core import (
    ALLOW,
    Actor,
    CaseView,
    Decision,
    Rule,
    acts_for_party,
    anyone,
    case_rule,
    is_case_mediator,
    is_case_staff,
    is_institution_staff,
    role_in,
)
from odr.policy.permissions import Permission

S = CaseStatus
_MEDIATING = frozenset({S.IN_MEDIATION})
_EFFECTIVE = frozenset({S.AGREEMENT_EFFECTIVE})
_AFTER_EFFECT = frozenset({
    S.AGREEMENT_EFFECTIVE, S.CONFIRMATION_APPLIED, S.CONFIRMED, S.CONFIRMATION_REJECTED,
    S.SUBMITTED_TO_COURT, S.MEDIATION_STATEMENT_ISSUED,
})
# A withdrawal ruled after the agreement (L37) ends the suit, not the agreement: it still
# binds as a contract, so its performance is still confirmed and defaults recorded.
_PERFORMANCE_STATES = _AFTER_EFFECT | {S.WITHDRAWAL_RULED}


def party_side_or_staff(actor: Actor, case: CaseView) -> bool:
    return acts_for_party(actor, case, "general") or is_case_staff(actor, case)


def signs_for_party(actor: Actor, case: CaseView) -> bool:
    return acts_for_party(actor, case, "sign_agreement")


def applies_for_party(actor: Actor, case: CaseView) -> bool:
    return acts_for_party(actor, case, "apply_confirmation")


@dataclass(frozen=True)
class ConfirmationView:
    """A confirmation application: its case, the court applied to, status and judge."""

    case: CaseView
    court_id: int
    status: str  # agreements.models.ConfirmationStatus
    judge_user_id: int | None = None


@dataclass(frozen=True)
class CourtFilingView:
    case: CaseView
    court_id: int
    kind: str  # return | record
    status: str


def _court_staff_of(actor: Actor, court_id: int) -> bool:
    return actor.role in (Role.JUDGE, Role.CLERK) and court_id in actor.court_ids


_OPEN_APPLICATION = frozenset({"gathering", "applied", "supplement_requested", "accepted"})
_COURT_PENDING = frozenset({"applied", "supplement_requested", "accepted"})


def _confirmation_rule(
    check: Callable[[Actor, ConfirmationView], bool], refusal: str, *,
    statuses: frozenset[str] | None = None,
) -> Rule:
    def rule(actor: Actor, obj: object) -> Decision:
        if not actor.authenticated:
            return Decision(False, "sign in first")
        if not isinstance(obj, ConfirmationView):
            return Decision(False, "no confirmation application given")
        if not check(actor, obj):
            return Decision(False, refusal)
        if statuses is not None and obj.status not in statuses:
            return Decision(False, f"not possible once the application is {obj.status}")
        return ALLOW

    return rule


def _filing_rule(check: Callable[[Actor, CourtFilingView], bool], refusal: str) -> Rule:
    def rule(actor: Actor, obj: object) -> Decision:
        if not actor.authenticated:
            return Decision(False, "sign in first")
        if not isinstance(obj, CourtFilingView):
            return Decision(False, "no court filing given")
        return ALLOW if check(actor, obj) else Decision(False, refusal)

    return rule


AGREEMENT_RULES: dict[Permission, Rule] = {
    Permission.AGREEMENT_READ: case_rule(party_side_or_staff, "not a participant of this case"),
    Permission.AGREEMENT_DRAFT: case_rule(
        is_case_mediator, "only the case's mediator drafts its agreement", states=_MEDIATING,
        state_refusal="an agreement is drafted only while the case is in mediation",
    ),
    Permission.AGREEMENT_RECORD_ORAL: case_rule(
        is_case_mediator, "only the case's mediator records an oral agreement (L18)",
        states=_MEDIATING, state_refusal="an agreement is reached only while the case is in mediation",
    ),
    Permission.AGREEMENT_SIGN: case_rule(
        signs_for_party,
        "only a party, or its agent with the special authority to sign, signs the agreement",
        states=_MEDIATING, state_refusal="the agreement is signed only while the case is in mediation",
    ),
    Permission.AGREEMENT_MEDIATOR_SIGN: case_rule(
        is_case_mediator, "only the case's mediator signs as mediator", states=_MEDIATING,
        state_refusal="the agreement is signed only while the case is in mediation",
    ),
    Permission.AGREEMENT_SEAL: case_rule(
        is_institution_staff, "only an admin of the case's institution applies its seal",
        states=_MEDIATING, state_refusal="the seal is applied only while the case is in mediation",
    ),
    Permission.AGREEMENT_VERIFY: anyone,
    Permission.PKI_READ: anyone,
    Permission.CONFIRMATION_COURTS: case_rule(
        lambda a, c: applies_for_party(a, c) or is_case_staff(a, c),
        "not a party of this case", states=_EFFECTIVE | {S.CONFIRMATION_REJECTED},
        state_refusal="courts are chosen for an effective agreement",
    ),
    Permission.CONFIRMATION_APPLY: case_rule(
        applies_for_party,
        "only a party, or its agent with the special authority to apply, applies (L20)",
        states=_EFFECTIVE,
        state_refusal="judicial confirmation is applied for from an effective agreement",
    ),
    Permission.CONFIRMATION_READ: _confirmation_rule(
        lambda a, v: party_side_or_staff(a, v.case) or _court_staff_of(a, v.court_id),
        "not a participant of this application",
    ),
    Permission.CONFIRMATION_PARTY_ACT: _confirmation_rule(
        lambda a, v: applies_for_party(a, v.case),
        "only a party, or its agent with the special authority, acts on the application",
        statuses=_OPEN_APPLICATION,
    ),
    Permission.CONFIRMATION_QUEUE: role_in(Role.JUDGE, Role.CLERK),
    Permission.CONFIRMATION_COURT_ACT: _confirmation_rule(
        lambda a, v: _court_staff_of(a, v.court_id),
        "only the judges and clerks of the court applied to handle the application",
        statuses=_COURT_PENDING,
    ),
    Permission.CONFIRMATION_RULE: _confirmation_rule(
        lambda a, v: a.role == Role.JUDGE and a.user_id == v.judge_user_id
        and v.court_id in a.court_ids,
        "only the judge designated for this application rules on it (L25)",
        statuses=frozenset({"accepted"}),
    ),
    Permission.COURT_FILING_QUEUE: role_in(Role.JUDGE, Role.CLERK),
    Permission.COURT_FILING_READ: _filing_rule(
        lambda a, v: party_side_or_staff(a, v.case) or _court_staff_of(a, v.court_id),
        "not a participant of this case",
    ),
    Permission.COURT_FILING_HANDLE: _filing_rule(
        lambda a, v: a.role == Role.JUDGE and v.court_id in a.court_ids,
        "only a judge of the receiving court handles the filed agreement (L37)",
    ),
    Permission.PERFORMANCE_READ: case_rule(party_side_or_staff, "not a participant of this case"),
    Permission.PERFORMANCE_CONFIRM: case_rule(
        lambda a, c: acts_for_party(a, c, "general"), "only a party confirms performance",
        states=_PERFORMANCE_STATES,
        state_refusal="performance is tracked once the agreement is effective",
    ),
    Permission.PERFORMANCE_DEFAULT: case_rule(
        lambda a, c: acts_for_party(a, c, "general") or is_case_mediator(a, c),
        "only a party or the mediator records a default", states=_PERFORMANCE_STATES,
        state_refusal="performance is tracked once the agreement is effective",
    ),
}

AGREEMENT_OBJECT_PERMISSIONS: frozenset[Permission] = frozenset(AGREEMENT_RULES) - {
    Permission.AGREEMENT_VERIFY, Permission.PKI_READ, Permission.CONFIRMATION_QUEUE,
    Permission.COURT_FILING_QUEUE,
}
