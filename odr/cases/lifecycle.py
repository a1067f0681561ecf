"""The case state machine of DESIGN.md: pure data and one function, no framework imports.

``next_status(status, event, channel)`` returns the new status or raises
``IllegalTransition`` with a message a user can read. Everything that
changes a case's status goes through ``odr.cases.transitions.transition``,
which asks this module first.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    INSTITUTION_ASSIGNED = "institution_assigned"
    MEDIATOR_ASSIGNED = "mediator_assigned"
    IN_MEDIATION = "in_mediation"
    AGREEMENT_EFFECTIVE = "agreement_effective"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"
    CONFIRMATION_APPLIED = "confirmation_applied"
    CONFIRMED = "confirmed"
    CONFIRMATION_REJECTED = "confirmation_rejected"
    SUBMITTED_TO_COURT = "submitted_to_court"
    MEDIATION_STATEMENT_ISSUED = "mediation_statement_issued"
    WITHDRAWAL_RULED = "withdrawal_ruled"


class CaseEventKind(StrEnum):
    """The events that move a case (one audit action ``case.<event>`` each)."""

    START_REVIEW = "start_review"
    ACCEPT = "accept"
    REJECT = "reject"
    RESUBMIT = "resubmit"
    ASSIGN_INSTITUTION = "assign_institution"
    ASSIGN_MEDIATOR = "assign_mediator"
    MEDIATOR_DECLINED = "mediator_declined"  # L6: back to the institution for reassignment
    MEDIATOR_ACCEPTED = "mediator_accepted"  # L13: the mediation period starts
    REPLACE_MEDIATOR = "replace_mediator"  # L7: a party asked for another mediator
    AGREEMENT_TAKES_EFFECT = "agreement_takes_effect"  # L16 / L18
    END_WITHOUT_AGREEMENT = "end_without_agreement"  # L8 / L14
    WITHDRAW = "withdraw"
    APPLY_CONFIRMATION = "apply_confirmation"  # L20-L21
    WITHDRAW_CONFIRMATION = "withdraw_confirmation"  # L27
    CONFIRM = "confirm"  # L26 valid
    REJECT_CONFIRMATION = "reject_confirmation"  # L26 rejected
    REMEDIATE = "remediate"  # L26: after rejection the parties may mediate again
    SUBMIT_TO_COURT = "submit_to_court"  # L37: entrusted agreements go back to the court
    ISSUE_MEDIATION_STATEMENT = "issue_mediation_statement"
    RULE_WITHDRAWAL = "rule_withdrawal"


class EndGround(StrEnum):
    """Why a mediation ended without agreement (L8, L14; OMR 25)."""

    RESPONDENT_REFUSED = "respondent_refused"  # L8: refused to mediate
    RESPONDENT_NO_REPLY = "respondent_no_reply"  # L8: no answer by the deadline
    PARTY_REFUSED_TO_CONTINUE = "party_refused_to_continue"
    PARTY_REFUSED_TO_SIGN = "party_refused_to_sign"
    PARTY_UNREACHABLE = "party_unreachable"
    PERIOD_ENDED = "period_ended"  # L13 period over with no agreed extension
    REFUSED_REPLACEMENT_MEDIATOR = "refused_replacement_mediator"  # L7
    NO_MEDIATOR = "no_mediator"
    NOT_SUITABLE = "not_suitable"  # the mediator finds the dispute unsuitable for mediation
    OTHER = "other"


S = CaseStatus
E = CaseEventKind

TERMINAL: frozenset[CaseStatus] = frozenset({
    S.FAILED, S.WITHDRAWN, S.CONFIRMED, S.MEDIATION_STATEMENT_ISSUED, S.WITHDRAWAL_RULED,
})

# Channels whose effective agreements go to judicial confirmation (L20-L27, L37 for 委派),
# and the one whose agreements go back to the court that entrusted it (L37).
CONFIRMATION_CHANNELS = frozenset({"self_filed", "delegated", "walk_in"})
COURT_RETURN_CHANNELS = frozenset({"entrusted"})

_OPEN_BEFORE_AGREEMENT = (
    S.SUBMITTED, S.UNDER_REVIEW, S.REJECTED, S.ACCEPTED, S.INSTITUTION_ASSIGNED,
    S.MEDIATOR_ASSIGNED, S.IN_MEDIATION,
)


@dataclass(frozen=True)
class Transition:
    event: CaseEventKind
    sources: tuple[CaseStatus, ...]
    target: CaseStatus
    channels: frozenset[str] | None = None  # None: every channel


TRANSITIONS: tuple[Transition, ...] = (
    Transition(E.START_REVIEW, (S.SUBMITTED,), S.UNDER_REVIEW),
    Transition(E.ACCEPT, (S.SUBMITTED, S.UNDER_REVIEW), S.ACCEPTED),
    Transition(E.REJECT, (S.SUBMITTED, S.UNDER_REVIEW), S.REJECTED),
    Transition(E.RESUBMIT, (S.REJECTED,), S.SUBMITTED),
    Transition(E.ASSIGN_INSTITUTION, (S.ACCEPTED,), S.INSTITUTION_ASSIGNED),
    Transition(E.ASSIGN_MEDIATOR, (S.INSTITUTION_ASSIGNED,), S.MEDIATOR_ASSIGNED),
    Transition(E.MEDIATOR_DECLINED, (S.MEDIATOR_ASSIGNED,), S.INSTITUTION_ASSIGNED),
    Transition(E.MEDIATOR_ACCEPTED, (S.MEDIATOR_ASSIGNED,), S.IN_MEDIATION),
    Transition(E.REPLACE_MEDIATOR, (S.MEDIATOR_ASSIGNED, S.IN_MEDIATION), S.INSTITUTION_ASSIGNED),
    Transition(E.AGREEMENT_TAKES_EFFECT, (S.IN_MEDIATION,), S.AGREEMENT_EFFECTIVE),
    Transition(
        E.END_WITHOUT_AGREEMENT,
        (S.ACCEPTED, S.INSTITUTION_ASSIGNED, S.MEDIATOR_ASSIGNED, S.IN_MEDIATION),
        S.FAILED,
    ),
    Transition(E.WITHDRAW, _OPEN_BEFORE_AGREEMENT, S.WITHDRAWN),
    Transition(
        E.APPLY_CONFIRMATION, (S.AGREEMENT_EFFECTIVE,), S.CONFIRMATION_APPLIED,
        CONFIRMATION_CHANNELS,
    ),
    Transition(E.WITHDRAW_CONFIRMATION, (S.CONFIRMATION_APPLIED,), S.AGREEMENT_EFFECTIVE),
    Transition(E.CONFIRM, (S.CONFIRMATION_APPLIED,), S.CONFIRMED),
    Transition(E.REJECT_CONFIRMATION, (S.CONFIRMATION_APPLIED,), S.CONFIRMATION_REJECTED),
    Transition(E.REMEDIATE, (S.CONFIRMATION_REJECTED,), S.IN_MEDIATION),
    Transition(
        E.SUBMIT_TO_COURT, (S.AGREEMENT_EFFECTIVE,), S.SUBMITTED_TO_COURT, COURT_RETURN_CHANNELS
    ),
    Transition(E.ISSUE_MEDIATION_STATEMENT, (S.SUBMITTED_TO_COURT,), S.MEDIATION_STATEMENT_ISSUED),
    Transition(E.RULE_WITHDRAWAL, (S.SUBMITTED_TO_COURT,), S.WITHDRAWAL_RULED),
)

_BY_EVENT: dict[CaseEventKind, Transition] = {t.event: t for t in TRANSITIONS}

STATUS_LABELS_ZH: dict[CaseStatus, str] = {
    S.SUBMITTED: "已提交",
    S.UNDER_REVIEW: "审查中",
    S.REJECTED: "已退回",
    S.ACCEPTED: "已受理",
    S.INSTITUTION_ASSIGNED: "已分配调解组织",
    S.MEDIATOR_ASSIGNED: "已指定调解员",
    S.IN_MEDIATION: "调解中",
    S.AGREEMENT_EFFECTIVE: "调解协议已生效",
    S.FAILED: "调解不成",
    S.WITHDRAWN: "已撤回",
    S.CONFIRMATION_APPLIED: "已申请司法确认",
    S.CONFIRMED: "已司法确认",
    S.CONFIRMATION_REJECTED: "司法确认被驳回",
    S.SUBMITTED_TO_COURT: "已报送法院",
    S.MEDIATION_STATEMENT_ISSUED: "已出具调解书",
    S.WITHDRAWAL_RULED: "已裁定准许撤诉",
}


class IllegalTransition(Exception):
    """The event cannot happen to a case in its current status (HTTP 409)."""

    def __init__(self, message: str, *, status: str, event: str) -> None:
        super().__init__(message)
        self.status = status
        self.event = event


def next_status(status: str, event: str, channel: str) -> CaseStatus:
    """The status after ``event``, or ``IllegalTransition`` saying why not."""
    try:
        kind = CaseEventKind(event)
    except ValueError:
        raise IllegalTransition(f"unknown case event {event!r}", status=status, event=event) from None
    rule = _BY_EVENT[kind]
    if status not in rule.sources:
        allowed = ", ".join(rule.sources)
        raise IllegalTransition(
            f"a case that is {status} cannot {kind.value.replace('_', ' ')}; "
            f"this is possible only when the case is {allowed}",
            status=status, event=event,
        )
    if rule.channels is not None and channel not in rule.channels:
        raise IllegalTransition(
            f"a {channel} case cannot {kind.value.replace('_', ' ')}: "
            f"that step is only for {', '.join(sorted(rule.channels))} cases",
            status=status, event=event,
        )
    return rule.target


def allowed_events(status: str, channel: str) -> list[CaseEventKind]:
    """The events possible from ``status`` (for the web page's buttons)."""
    return [
        t.event for t in TRANSITIONS
        if status in t.sources and (t.channels is None or channel in t.channels)
    ]
