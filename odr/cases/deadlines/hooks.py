"""The legal clocks the lifecycle starts and stops, and what happens when one of them is missed.

Transition hooks (``odr.cases.transitions.on_transition``):

- L5: an accepted case gets ``choose_mediator`` (2 working days) when every
  party agreed to online mediation, else ``designate_mediator`` (3 working
  days, the institution or court designates);
- L6: assigning a mediator closes those and opens ``mediator_acceptance``
  (3 working days); the mediator's answer closes it; a decline (or a
  replacement, L7) opens ``designate_mediator`` again for the reassignment;
- L13: the mediator's acceptance starts ``mediation_period`` (delegated 30
  days, entrusted 15 or 7 in summary procedure, self-filed and walk-in the
  institution's setting), from the acceptance (``Case.mediation_started_at``);
- L14: the end of the mediation (agreement, failure, withdrawal) closes every
  open deadline of the case.

Consequences of missed deadlines (``on_deadline_missed``), applied once by the sweep:

- ``mediation_period``: the mediation ends without agreement, ground
  ``period_ended`` (L13, L14);
- ``mediator_acceptance``: silence counts as declining (L6): the mediator is
  released and the institution reassigns;
- ``choose_mediator``: the parties did not choose, so the institution (or
  court) designates (L5): its staff are told and ``designate_mediator`` opens;
- ``designate_mediator``: the institution's admins (or the court's staff) get
  an escalation notice; nothing else changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from odr.cases.deadlines.extensions import lapse_extensions
from odr.cases.deadlines.notices import (
    case_everyone,
    case_organisers,
    case_parties_and_agents,
    deadline_context,
)
from odr.cases.deadlines.service import (
    DeadlineKind,
    close_deadlines,
    deadline_recipients,
    describe,
    find_live_deadline,
    live_deadlines,
    on_deadline_missed,
    open_deadline,
)
from odr.cases.lifecycle import CaseEventKind, EndGround
from odr.cases.models import (
    Case,
    CaseChannel,
    CaseParticipant,
    CaseParty,
    Consent,
    ConsentDecision,
    ConsentStage,
    Deadline,
    DeadlineStatus,
    EventVisibility,
    Procedure,
)
from odr.cases.transitions import TransitionContext, Who, add_event, on_transition, transition
from odr.db.uow import UnitOfWork
from odr.notify.service import notify_users
from odr.settings import Settings

if TYPE_CHECKING:
    from odr.services import Services

E = CaseEventKind
K = DeadlineKind

CHOOSE_MEDIATOR_WORKING_DAYS = 2  # L5, OMR 10
DESIGNATE_MEDIATOR_WORKING_DAYS = 3  # L5, OMR 10
MEDIATOR_ACCEPTANCE_WORKING_DAYS = 3  # L6, OMR 12
DELEGATED_PERIOD_DAYS = 30  # L13: before filing (委派)
ENTRUSTED_PERIOD_DAYS = 15  # L13: after filing (委托), ordinary procedure
ENTRUSTED_SUMMARY_PERIOD_DAYS = 7  # L13: after filing, summary procedure

CLOCK = Who.system("legal clock")


def mediation_period_days(case: Case, settings: Settings) -> int:
    """L13: the period by channel and procedure; self-filed and walk-in use the institution's."""
    if case.channel == CaseChannel.DELEGATED:
        return DELEGATED_PERIOD_DAYS
    if case.channel == CaseChannel.ENTRUSTED:
        if case.procedure == Procedure.SUMMARY:
            return ENTRUSTED_SUMMARY_PERIOD_DAYS
        return ENTRUSTED_PERIOD_DAYS
    return settings.institution_mediation_period_days


async def all_parties_agreed_online(uow: UnitOfWork, case_id: int) -> bool:
    """Every party's latest ``mediation_online`` consent is ``agree`` (L1, L5)."""
    parties = set((await uow.session.execute(
        select(CaseParty.id).where(CaseParty.case_id == case_id)
    )).scalars())
    if not parties:
        return False
    rows = (await uow.session.execute(
        select(Consent.party_id, Consent.decision)
        .where(Consent.case_id == case_id, Consent.stage == ConsentStage.MEDIATION_ONLINE)
        .order_by(Consent.at, Consent.id)
    )).all()
    latest = {party_id: decision for party_id, decision in rows}
    return all(latest.get(p) == ConsentDecision.AGREE for p in parties)


async def _open_designation(services: Services, uow: UnitOfWork, case: Case, rule: str) -> None:
    if await find_live_deadline(uow, case.id, K.DESIGNATE_MEDIATOR) is None:
        await open_deadline(
            uow, services, case, K.DESIGNATE_MEDIATOR, DESIGNATE_MEDIATOR_WORKING_DAYS,
            working=True, rule=rule, who=CLOCK,
        )


# ---- transition hooks ------------------------------------------------------


@on_transition(E.ACCEPT)
async def start_mediator_choice(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    """L5: 2 working days to choose together, or 3 for the institution or court to designate."""
    case = ctx.case
    if await all_parties_agreed_online(uow, case.id):
        await open_deadline(
            uow, services, case, K.CHOOSE_MEDIATOR, CHOOSE_MEDIATOR_WORKING_DAYS,
            working=True, rule="L5", who=CLOCK,
        )
    else:
        await _open_designation(services, uow, case, "L5")


@on_transition(E.ASSIGN_MEDIATOR)
async def start_mediator_acceptance(
    services: Services, uow: UnitOfWork, ctx: TransitionContext
) -> None:
    """L6: the assigned mediator has 3 working days to accept or decline."""
    case = ctx.case
    await close_deadlines(
        uow, services, case.id, kind=(K.CHOOSE_MEDIATOR, K.DESIGNATE_MEDIATOR),
        status=DeadlineStatus.MET, who=ctx.who,
    )
    mediator_id = ctx.data.get("mediator_id", case.mediator_id)
    await open_deadline(
        uow, services, case, K.MEDIATOR_ACCEPTANCE, MEDIATOR_ACCEPTANCE_WORKING_DAYS,
        working=True, rule="L6", who=CLOCK,
        subject_type="user" if mediator_id else None,
        subject_id=int(mediator_id) if mediator_id else None,
    )


@on_transition(E.MEDIATOR_DECLINED, E.REPLACE_MEDIATOR)
async def start_reassignment(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    """L6/L7: the answer (or the replacement) ends the acceptance clock; reassignment starts."""
    case = ctx.case
    status = DeadlineStatus.MET if ctx.event == E.MEDIATOR_DECLINED else DeadlineStatus.CANCELLED
    await close_deadlines(uow, services, case.id, kind=K.MEDIATOR_ACCEPTANCE, status=status,
                          who=ctx.who)
    await _open_designation(services, uow, case, "L6" if ctx.event == E.MEDIATOR_DECLINED else "L7")


@on_transition(E.MEDIATOR_ACCEPTED)
async def start_mediation_period(
    services: Services, uow: UnitOfWork, ctx: TransitionContext
) -> None:
    """L13: the period starts when the mediator accepts (a replacement mediator continues it)."""
    case = ctx.case
    await close_deadlines(uow, services, case.id, kind=K.MEDIATOR_ACCEPTANCE,
                          status=DeadlineStatus.MET, who=ctx.who)
    if await find_live_deadline(uow, case.id, K.MEDIATION_PERIOD) is not None:
        return
    now = services.clock.now()
    case.mediation_started_at = now
    await open_deadline(
        uow, services, case, K.MEDIATION_PERIOD, mediation_period_days(case, services.settings),
        working=False, starts_at=now, rule="L13", who=CLOCK,
    )


@on_transition(E.AGREEMENT_TAKES_EFFECT, E.END_WITHOUT_AGREEMENT, E.WITHDRAW)
async def stop_all_clocks(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    """L14: the mediation ended; nothing is awaited any more."""
    case = ctx.case
    if ctx.event == E.AGREEMENT_TAKES_EFFECT:
        await close_deadlines(uow, services, case.id, kind=K.MEDIATION_PERIOD,
                              status=DeadlineStatus.MET, who=ctx.who)
    # Reply clocks of message threads and complaints keep running: a complaint is
    # still answered after the mediation ends, and thread clocks are not the parties' (L11).
    kinds = {d.kind for d in await live_deadlines(uow, case.id) if d.subject_type != "thread"}
    if kinds:
        await close_deadlines(uow, services, case.id, kind=kinds, status=DeadlineStatus.CANCELLED,
                              who=ctx.who, reason=f"the case ended ({ctx.event})")
    await lapse_extensions(uow, services, case.id)


# ---- who is reminded -------------------------------------------------------


@deadline_recipients(K.CHOOSE_MEDIATOR)
async def remind_parties(services: Services, uow: UnitOfWork, case: Case, d: Deadline) -> list[int]:
    return await case_parties_and_agents(uow, services, case)


@deadline_recipients(K.DESIGNATE_MEDIATOR)
async def remind_organisers(
    services: Services, uow: UnitOfWork, case: Case, d: Deadline
) -> list[int]:
    return await case_organisers(uow, case)


@deadline_recipients(K.MEDIATOR_ACCEPTANCE)
async def remind_mediator(services: Services, uow: UnitOfWork, case: Case, d: Deadline) -> list[int]:
    if d.subject_type == "user" and d.subject_id is not None:
        return [d.subject_id]
    return [case.mediator_id] if case.mediator_id else []


@deadline_recipients(K.MEDIATION_PERIOD)
async def remind_everyone(services: Services, uow: UnitOfWork, case: Case, d: Deadline) -> list[int]:
    return await case_everyone(uow, services, case)


# ---- consequences of missed deadlines --------------------------------------


async def _escalate(services: Services, uow: UnitOfWork, case: Case, d: Deadline) -> None:
    staff = await case_organisers(uow, case)
    await notify_users(
        uow, services, staff, template="deadline_escalation",
        context=deadline_context(case, d), key=f"deadline:{d.id}:escalate",
    )
    await add_event(
        uow, services, case, "deadline_escalated", CLOCK,
        data={**describe(d), "notified": len(staff)}, visibility=EventVisibility.STAFF,
    )


@on_deadline_missed(K.CHOOSE_MEDIATOR)
async def parties_did_not_choose(
    services: Services, uow: UnitOfWork, case: Case, d: Deadline
) -> None:
    """L5: no joint choice in 2 working days: the institution or court designates."""
    await _escalate(services, uow, case, d)
    await _open_designation(services, uow, case, "L5")


@on_deadline_missed(K.DESIGNATE_MEDIATOR)
async def designation_overdue(services: Services, uow: UnitOfWork, case: Case, d: Deadline) -> None:
    """L5: the designation is late: the institution's admins are told; no transition."""
    await _escalate(services, uow, case, d)


@on_deadline_missed(K.MEDIATOR_ACCEPTANCE)
async def mediator_silent(services: Services, uow: UnitOfWork, case: Case, d: Deadline) -> None:
    """L6: silence counts as declining: release the mediator, back to the institution."""
    mediator_id = d.subject_id if d.subject_type == "user" else case.mediator_id
    if case.status != "mediator_assigned" or (mediator_id and case.mediator_id != mediator_id):
        return  # the case moved on another way; nothing to undo
    note = "调解员未在3个工作日内答复，视为拒绝，退回调解组织重新指派 (L6)"
    await add_event(uow, services, case, "mediator_silent", CLOCK,
                    data={**describe(d), "mediator_id": mediator_id, "note": note})
    await transition(uow, services, case, E.MEDIATOR_DECLINED, CLOCK, reason=note,
                     data={"mediator_id": mediator_id, "silence": True})
    now = services.clock.now()
    if mediator_id:
        participations = (await uow.session.execute(
            select(CaseParticipant).where(
                CaseParticipant.case_id == case.id, CaseParticipant.user_id == mediator_id,
                CaseParticipant.role == "mediator", CaseParticipant.ends_at.is_(None),
            )
        )).scalars()
        for participation in participations:
            participation.ends_at = now
    case.mediator_id = None
    await _escalate(services, uow, case, d)


@on_deadline_missed(K.MEDIATION_PERIOD)
async def period_ended(services: Services, uow: UnitOfWork, case: Case, d: Deadline) -> None:
    """L13/L14: the period ended with no agreed extension: the mediation failed."""
    if case.status not in ("accepted", "institution_assigned", "mediator_assigned", "in_mediation"):
        return
    reason = (f"调解期限已于{d.last_day.isoformat()}届满，未经各方同意延长 "
              "(the mediation period ended with no agreed extension, L13)")
    await transition(uow, services, case, E.END_WITHOUT_AGREEMENT, CLOCK, reason=reason,
                     data={"ground": str(EndGround.PERIOD_ENDED), "deadline_id": d.id})
    now = services.clock.now()
    case.end_ground = EndGround.PERIOD_ENDED
    case.end_reasons = case.end_reasons or reason
    case.closed_at = case.closed_at or now
