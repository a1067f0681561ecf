"""The mediator's answer (L6), conflict disclosure and the parties' replacement rights (L7)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from mediators.assignment import live_assignment
from mediators.models import (
    Assignment,
    ConflictDisclosure,
    DisclosureAnswer,
    DisclosureStatus,
)
from mediators.notices import notify_parties
from mediators.parties import acting_party, party_ids
from odr.accounts.models import User
from odr.cases.lifecycle import CaseEventKind, EndGround
from odr.cases.models import Case, CaseChannel
from odr.cases.parties.invitations import respondents_all_agreed
from odr.cases.queries import case_view
from odr.cases.transitions import Who, add_event, load_case_for_update, transition
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, NotFound
from odr.policy import Actor, Permission, authorize

if TYPE_CHECKING:
    from odr.services import Services

E = CaseEventKind


async def _case(uow: UnitOfWork, services: Services, actor: Actor, case_id: int,
                permission: Permission) -> Case:
    case = await load_case_for_update(uow, case_id)
    authorize(actor, permission, await case_view(uow.session, case, services.clock.now()))
    return case


async def _current(uow: UnitOfWork, case: Case) -> Assignment:
    assignment = await live_assignment(uow, case.id)
    if assignment is None or assignment.mediator_id != case.mediator_id:
        raise Conflict("the case has no current mediator assignment", code="no_assignment")
    return assignment


# ---------------------------------------------------------------- L6: accept or decline


async def accept(services: Services, actor: Actor, case_id: int) -> Case:
    """The assigned mediator accepts: mediation starts (the L13 period, by the clocks part)."""
    async with services.db.uow() as uow:
        case = await _case(uow, services, actor, case_id, Permission.ASSIGNMENT_RESPOND)
        await _current(uow, case)
        # L8: before filing, mediation starts only once every respondent agreed to mediate;
        # an entrusted case is already filed (the court ordered mediation).
        if case.channel != CaseChannel.ENTRUSTED and not await respondents_all_agreed(uow, case.id):
            raise Conflict(
                "the respondent has not agreed to mediate yet; mediation can start once every "
                "respondent has agreed (L8)",
                code="respondent_not_agreed",
            )
        await transition(uow, services, case, E.MEDIATOR_ACCEPTED, Who.of(actor))
    return case


async def decline(services: Services, actor: Actor, case_id: int, *, reason: str) -> Case:
    """The assigned mediator declines with a reason; a worker reassigns (never to them again)."""
    async with services.db.uow() as uow:
        case = await _case(uow, services, actor, case_id, Permission.ASSIGNMENT_RESPOND)
        assignment = await _current(uow, case)
        await transition(uow, services, case, E.MEDIATOR_DECLINED, Who.of(actor), reason=reason,
                         data={"mediator_id": assignment.mediator_id})
    return case


# ---------------------------------------------------------------- L7: disclosure


async def disclose(services: Services, actor: Actor, case_id: int, *, statement: str) -> ConflictDisclosure:
    """The mediator discloses a possible conflict; every party must agree for it to go on."""
    now = services.clock.now()
    async with services.db.uow() as uow:
        case = await _case(uow, services, actor, case_id, Permission.CONFLICT_DISCLOSE)
        assignment = await _current(uow, case)
        open_one = (
            await uow.session.execute(
                select(ConflictDisclosure.id).where(
                    ConflictDisclosure.case_id == case.id,
                    ConflictDisclosure.status == DisclosureStatus.OPEN,
                )
            )
        ).scalar_one_or_none()
        if open_one is not None:
            raise Conflict("a disclosure of this case is still waiting for the parties' answers",
                           code="disclosure_open")
        disclosure = ConflictDisclosure(
            case_id=case.id, assignment_id=assignment.id, mediator_id=assignment.mediator_id,
            statement=statement, status=DisclosureStatus.OPEN, created_at=now,
        )
        uow.session.add(disclosure)
        await uow.session.flush()
        await add_event(uow, services, case, "conflict_disclosed", Who.of(actor),
                        data={"disclosure_id": disclosure.id, "statement": statement})
        mediator = await uow.session.get(User, assignment.mediator_id)
        await notify_parties(uow, services, case, template="conflict_disclosed",
                             context={"mediator_name": mediator.real_name if mediator else "—"},
                             key=f"disclosure:{disclosure.id}")
        return disclosure


async def answer_disclosure(
    services: Services, actor: Actor, case_id: int, disclosure_id: int, *, agree: bool,
    reason: str, party_id: int | None,
) -> ConflictDisclosure:
    """One party's answer. A refusal replaces the mediator; all agreeing lets it continue (L7)."""
    now = services.clock.now()
    async with services.db.uow() as uow:
        case = await _case(uow, services, actor, case_id, Permission.CONFLICT_ANSWER)
        disclosure = await uow.session.get(ConflictDisclosure, disclosure_id)
        if disclosure is None or disclosure.case_id != case.id:
            raise NotFound("no such disclosure in this case")
        if disclosure.status != DisclosureStatus.OPEN:
            raise Conflict(f"this disclosure is already settled ({disclosure.status})",
                           code="disclosure_settled")
        party = await acting_party(uow.session, case.id, actor, now, party_id)
        answered = (
            await uow.session.execute(
                select(DisclosureAnswer.id).where(DisclosureAnswer.disclosure_id == disclosure.id,
                                                  DisclosureAnswer.party_id == party)
            )
        ).scalar_one_or_none()
        if answered is not None:
            raise Conflict("this party already answered the disclosure", code="already_answered")
        uow.session.add(DisclosureAnswer(disclosure_id=disclosure.id, party_id=party, agree=agree,
                                         reason=reason, by_user_id=actor.user_id or 0, at=now))
        await uow.session.flush()
        who = Who.of(actor)
        await add_event(uow, services, case, "conflict_disclosure_answered", who,
                        data={"disclosure_id": disclosure.id, "party_id": party, "agree": agree,
                              "reason": reason})
        if not agree:
            disclosure.status = DisclosureStatus.REPLACED
            disclosure.resolved_at = now
            await transition(
                uow, services, case, E.REPLACE_MEDIATOR, who,
                reason=reason or "a party did not agree to continue after the disclosure (L7)",
                data={"cause": "conflict_refused", "party_replacement": True,
                      "disclosure_id": disclosure.id},
            )
            return disclosure
        agreed = set(
            (await uow.session.execute(
                select(DisclosureAnswer.party_id).where(
                    DisclosureAnswer.disclosure_id == disclosure.id, DisclosureAnswer.agree.is_(True)
                )
            )).scalars()
        )
        if agreed >= set(await party_ids(uow.session, case.id)):
            disclosure.status = DisclosureStatus.CONTINUED
            disclosure.resolved_at = now
            await add_event(uow, services, case, "conflict_disclosure_settled", who,
                            data={"disclosure_id": disclosure.id, "outcome": "continued"})
        return disclosure


# ---------------------------------------------------------------- L7: replacement


async def request_replacement(
    services: Services, actor: Actor, case_id: int, *, reason: str, party_id: int | None
) -> Case:
    """A party asks for another mediator; a worker assigns one, never the same (L7)."""
    now = services.clock.now()
    async with services.db.uow() as uow:
        case = await _case(uow, services, actor, case_id, Permission.MEDIATOR_REPLACE)
        party = await acting_party(uow.session, case.id, actor, now, party_id)
        assignment = await _current(uow, case)
        if assignment.party_replacement:
            raise Conflict(
                "this mediator already replaces one at a party's request; refusing the "
                "replacement counts as refusing mediation (L7): refuse it explicitly if you do not "
                "want to continue", code="replacement_given",
            )
        await transition(uow, services, case, E.REPLACE_MEDIATOR, Who.of(actor), reason=reason,
                         data={"cause": "party_request", "party_replacement": True,
                               "party_id": party})
    return case


async def refuse_replacement(
    services: Services, actor: Actor, case_id: int, *, reason: str, party_id: int | None
) -> Case:
    """Refusing the replacement mediator is refusing mediation: it ends without agreement (L7)."""
    now = services.clock.now()
    async with services.db.uow() as uow:
        case = await _case(uow, services, actor, case_id, Permission.MEDIATOR_REPLACE)
        party = await acting_party(uow.session, case.id, actor, now, party_id)
        assignment = await _current(uow, case)
        if not assignment.party_replacement:
            raise Conflict("the current mediator is not a replacement made at a party's request; "
                           "ask for another mediator instead", code="not_a_replacement")
        await transition(
            uow, services, case, E.END_WITHOUT_AGREEMENT, Who.of(actor),
            reason=reason or "a party refused the replacement mediator (L7)",
            data={"ground": str(EndGround.REFUSED_REPLACEMENT_MEDIATOR), "party_id": party},
        )
    return case
