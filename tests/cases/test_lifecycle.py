"""The case state machine, by table: every legal move works, every other one is refused."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select

from odr.audit.models import AuditEntry
from odr.cases import transitions
from odr.cases.lifecycle import (
    CaseEventKind,
    CaseStatus,
    IllegalTransition,
    allowed_events,
    next_status,
)
from odr.cases.models import Case, CaseEvent
from odr.cases.transitions import TransitionContext, Who, on_transition, transition
from odr.errors import Conflict
from odr.outbox.models import LiveEvent
from odr.services import Services
from tests.factories import make_case, make_user

S, E = CaseStatus, CaseEventKind
ALL_CHANNELS = ("self_filed", "delegated", "entrusted", "walk_in")
CONFIRMING = ("self_filed", "delegated", "walk_in")
OPEN = (S.SUBMITTED, S.UNDER_REVIEW, S.REJECTED, S.ACCEPTED, S.INSTITUTION_ASSIGNED,
        S.MEDIATOR_ASSIGNED, S.IN_MEDIATION)

# Written out by hand from DESIGN.md's diagram, independently of lifecycle.TRANSITIONS:
# (status, event) -> (target, channels where it is legal).
LEGAL: dict[tuple[CaseStatus, CaseEventKind], tuple[CaseStatus, tuple[str, ...]]] = {
    (S.SUBMITTED, E.START_REVIEW): (S.UNDER_REVIEW, ALL_CHANNELS),
    (S.SUBMITTED, E.ACCEPT): (S.ACCEPTED, ALL_CHANNELS),
    (S.UNDER_REVIEW, E.ACCEPT): (S.ACCEPTED, ALL_CHANNELS),
    (S.SUBMITTED, E.REJECT): (S.REJECTED, ALL_CHANNELS),
    (S.UNDER_REVIEW, E.REJECT): (S.REJECTED, ALL_CHANNELS),
    (S.REJECTED, E.RESUBMIT): (S.SUBMITTED, ALL_CHANNELS),
    (S.ACCEPTED, E.ASSIGN_INSTITUTION): (S.INSTITUTION_ASSIGNED, ALL_CHANNELS),
    (S.INSTITUTION_ASSIGNED, E.ASSIGN_MEDIATOR): (S.MEDIATOR_ASSIGNED, ALL_CHANNELS),
    (S.MEDIATOR_ASSIGNED, E.MEDIATOR_DECLINED): (S.INSTITUTION_ASSIGNED, ALL_CHANNELS),
    (S.MEDIATOR_ASSIGNED, E.MEDIATOR_ACCEPTED): (S.IN_MEDIATION, ALL_CHANNELS),
    (S.MEDIATOR_ASSIGNED, E.REPLACE_MEDIATOR): (S.INSTITUTION_ASSIGNED, ALL_CHANNELS),
    (S.IN_MEDIATION, E.REPLACE_MEDIATOR): (S.INSTITUTION_ASSIGNED, ALL_CHANNELS),
    (S.IN_MEDIATION, E.AGREEMENT_TAKES_EFFECT): (S.AGREEMENT_EFFECTIVE, ALL_CHANNELS),
    **{(s, E.END_WITHOUT_AGREEMENT): (S.FAILED, ALL_CHANNELS)
       for s in (S.ACCEPTED, S.INSTITUTION_ASSIGNED, S.MEDIATOR_ASSIGNED, S.IN_MEDIATION)},
    **{(s, E.WITHDRAW): (S.WITHDRAWN, ALL_CHANNELS) for s in OPEN},
    (S.AGREEMENT_EFFECTIVE, E.APPLY_CONFIRMATION): (S.CONFIRMATION_APPLIED, CONFIRMING),
    (S.CONFIRMATION_APPLIED, E.WITHDRAW_CONFIRMATION): (S.AGREEMENT_EFFECTIVE, ALL_CHANNELS),
    (S.CONFIRMATION_APPLIED, E.CONFIRM): (S.CONFIRMED, ALL_CHANNELS),
    (S.CONFIRMATION_APPLIED, E.REJECT_CONFIRMATION): (S.CONFIRMATION_REJECTED, ALL_CHANNELS),
    (S.CONFIRMATION_REJECTED, E.REMEDIATE): (S.IN_MEDIATION, ALL_CHANNELS),
    (S.AGREEMENT_EFFECTIVE, E.SUBMIT_TO_COURT): (S.SUBMITTED_TO_COURT, ("entrusted",)),
    (S.SUBMITTED_TO_COURT, E.ISSUE_MEDIATION_STATEMENT): (
        S.MEDIATION_STATEMENT_ISSUED, ALL_CHANNELS),
    (S.SUBMITTED_TO_COURT, E.RULE_WITHDRAWAL): (S.WITHDRAWAL_RULED, ALL_CHANNELS),
}

COMBINATIONS = list(itertools.product(CaseStatus, CaseEventKind, ALL_CHANNELS))


@pytest.mark.parametrize(("status", "event", "channel"), COMBINATIONS)
def test_every_status_event_and_channel(status: CaseStatus, event: CaseEventKind, channel: str) -> None:
    legal = LEGAL.get((status, event))
    if legal is not None and channel in legal[1]:
        assert next_status(status, event, channel) == legal[0]
        assert event in allowed_events(status, channel)
    else:
        with pytest.raises(IllegalTransition) as refused:
            next_status(status, event, channel)
        assert str(refused.value)  # a message a person can read
        assert event not in allowed_events(status, channel)


def test_terminal_statuses_have_no_way_out() -> None:
    for status in (S.FAILED, S.WITHDRAWN, S.CONFIRMED, S.MEDIATION_STATEMENT_ISSUED,
                   S.WITHDRAWAL_RULED):
        for channel in ALL_CHANNELS:
            assert allowed_events(status, channel) == []


def test_an_entrusted_agreement_goes_back_to_court_not_to_confirmation_L37() -> None:
    with pytest.raises(IllegalTransition, match="entrusted"):
        next_status(S.AGREEMENT_EFFECTIVE, E.APPLY_CONFIRMATION, "entrusted")
    assert next_status(S.AGREEMENT_EFFECTIVE, E.SUBMIT_TO_COURT, "entrusted") == S.SUBMITTED_TO_COURT
    assert next_status(S.AGREEMENT_EFFECTIVE, E.APPLY_CONFIRMATION, "delegated") == (
        S.CONFIRMATION_APPLIED)


def test_an_unknown_event_is_refused_with_its_name() -> None:
    with pytest.raises(IllegalTransition, match="teleport"):
        next_status(S.SUBMITTED, "teleport", "self_filed")


async def _counts(services: Services, case_id: int) -> tuple[int, int, int]:
    async with services.db.reader() as uow:
        events = (await uow.session.execute(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)
        )).scalar_one()
        audits = (await uow.session.execute(
            select(func.count()).select_from(AuditEntry).where(
                AuditEntry.subject_type == "case", AuditEntry.subject_id == str(case_id))
        )).scalar_one()
        live = (await uow.session.execute(
            select(func.count()).select_from(LiveEvent).where(LiveEvent.room == f"case:{case_id}")
        )).scalar_one()
    return events, audits, live


async def test_a_transition_is_a_timeline_event_an_audit_entry_and_a_live_event(
    services: Services,
) -> None:
    admin = await make_user(services, "institution_admin")
    case = await make_case(services, status="under_review")
    async with services.db.uow() as uow:
        row = await uow.session.get(Case, case.id)
        assert row is not None
        await transition(uow, services, row, E.REJECT, Who(admin.id, "审查员"), reason="材料不全")
    async with services.db.reader() as uow:
        row = await uow.session.get(Case, case.id)
        assert row is not None and row.status == S.REJECTED
        event = (await uow.session.execute(
            select(CaseEvent).where(CaseEvent.case_id == case.id))).scalar_one()
        entry = (await uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "case.reject"))).scalar_one()
    assert event.data == {"from": "under_review", "to": "rejected", "reason": "材料不全"}
    assert event.actor_label == "审查员"
    assert entry.subject_id == str(case.id) and entry.actor_id == admin.id
    assert await _counts(services, case.id) == (1, 1, 1)


async def test_an_illegal_transition_is_a_409_and_writes_nothing(services: Services) -> None:
    case = await make_case(services, status="submitted")
    with pytest.raises(Conflict) as refused:
        async with services.db.uow() as uow:
            row = await uow.session.get(Case, case.id)
            assert row is not None
            await transition(uow, services, row, E.AGREEMENT_TAKES_EFFECT, Who.system())
    assert refused.value.code == "illegal_transition"
    assert "submitted" in str(refused.value)
    async with services.db.reader() as uow:
        row = await uow.session.get(Case, case.id)
        assert row is not None and row.status == S.SUBMITTED
    assert await _counts(services, case.id) == (0, 0, 0)


async def test_a_failing_hook_rolls_the_transition_back(services: Services) -> None:
    case = await make_case(services, status="in_mediation", channel="entrusted", procedure="summary")
    calls: list[str] = []

    @on_transition(E.REMEDIATE)  # an event no other part hooks, on a case this test owns
    async def fail(_services: Services, _uow: object, ctx: TransitionContext) -> None:
        calls.append(ctx.previous_status)
        raise RuntimeError("the hook failed")

    async with services.db.uow() as uow:
        row = await uow.session.get(Case, case.id)
        assert row is not None
        row.status = S.CONFIRMATION_REJECTED
    try:
        with pytest.raises(RuntimeError):
            async with services.db.uow() as uow:
                row = await uow.session.get(Case, case.id)
                assert row is not None
                await transition(uow, services, row, E.REMEDIATE, Who.system())
    finally:
        transitions._HOOKS[E.REMEDIATE].remove(fail)
    assert calls == ["confirmation_rejected"]
    async with services.db.reader() as uow:
        row = await uow.session.get(Case, case.id)
        assert row is not None and row.status == S.CONFIRMATION_REJECTED
    assert await _counts(services, case.id) == (0, 0, 0)
