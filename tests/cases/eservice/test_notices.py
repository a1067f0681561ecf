"""Case notifications on lifecycle events, and the helper other parts call to notify participants."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from odr.cases.lifecycle import CaseEventKind
from odr.cases.models import CaseParty
from odr.cases.transitions import TransitionContext, Who, load_case_for_update, transition
from odr.eservice.hooks import case_accepted
from odr.eservice.notices import notify_case_participants
from odr.outbox.models import OutboxMessage
from odr.services import Services
from tests.cases.eservice.support import add_agent, make_world
from tests.factories import make_user
from tests.support.notify import deliver_pending, sent_messages


async def _move(services: Services, case_id: int, event: CaseEventKind, **kwargs: Any) -> TransitionContext:
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, case_id)
        for name in ("mediator_id", "end_ground", "rejection_reason"):
            if name in kwargs:
                setattr(case, name, kwargs.pop(name))
        return await transition(uow, services, case, event, Who.system("test"), **kwargs)


async def _recipients(services: Services, template: str) -> set[tuple[str, str]]:
    await deliver_pending(services)
    return {(m.channel, m.recipient) for m in await sent_messages(services, template=template)}


async def test_acceptance_is_told_to_the_applicant_side_once(services: Services) -> None:
    w = await make_world(services, status="under_review")
    agent = await add_agent(services, w.case_id, w.applicant_party, ["general"])
    ctx = await _move(services, w.case_id, CaseEventKind.ACCEPT)
    assert await _recipients(services, "case_accepted") == {
        ("inapp", str(w.applicant.id)), ("sms", w.applicant.mobile),
        ("inapp", str(agent.id)), ("sms", agent.mobile),
    }
    [message] = await sent_messages(services, template="case_accepted", channel="sms",
                                    recipient=w.applicant.mobile)
    assert w.number in message.body and "已受理" in message.body
    # A retried hook (or worker) sends nothing twice: the key names the case event.
    async with services.db.uow() as uow:
        await case_accepted(services, uow, ctx)
    await deliver_pending(services)
    assert len(await sent_messages(services, template="case_accepted")) == 4


async def test_rejection_carries_its_reason(services: Services) -> None:
    w = await make_world(services, status="under_review")
    await _move(services, w.case_id, CaseEventKind.REJECT, reason="缺少身份证明材料")
    await deliver_pending(services)
    [sms] = await sent_messages(services, template="case_rejected", channel="sms")
    assert sms.recipient == w.applicant.mobile and "缺少身份证明材料" in sms.body


async def test_mediator_assignment_is_told_to_both_sides_and_the_mediator(services: Services) -> None:
    w = await make_world(services, status="institution_assigned")
    await _move(services, w.case_id, CaseEventKind.ASSIGN_MEDIATOR, mediator_id=w.mediator.id)
    await deliver_pending(services)
    parties = await sent_messages(services, template="mediator_assigned", channel="inapp")
    assert {m.user_id for m in parties} == {w.applicant.id, w.respondent.id}
    assert all(w.mediator.real_name in m.body for m in parties)
    [mediator] = await sent_messages(services, template="mediator_case_assigned", channel="inapp")
    assert mediator.user_id == w.mediator.id


async def test_outcomes_reach_everyone_in_the_case_even_without_an_account(services: Services) -> None:
    w = await make_world(services, status="in_mediation")
    async with services.db.uow() as uow:  # a second respondent named in the filing, no account
        uow.session.add(CaseParty(
            case_id=w.case_id, side="respondent", kind="organisation", name="某银行股份有限公司",
            id_doc_type="credit_code", id_doc_number_enc=b"\x01", id_doc_lookup="x" * 64,
            id_doc_last4="0001", mobile="13700000001", created_at=services.clock.now(),
        ))
    await _move(services, w.case_id, CaseEventKind.END_WITHOUT_AGREEMENT,
                end_ground="period_ended", data={"ground": "period_ended"})
    await deliver_pending(services)
    failed = await sent_messages(services, template="case_failed", channel="sms")
    assert {m.recipient for m in failed} == {
        w.applicant.mobile, w.respondent.mobile, w.mediator.mobile, "13700000001",
    }
    assert all("调解期限届满且未延长" in m.body for m in failed)


async def test_withdrawal_and_agreement_outcomes(services: Services) -> None:
    w = await make_world(services, status="in_mediation")
    await _move(services, w.case_id, CaseEventKind.AGREEMENT_TAKES_EFFECT)
    other = await make_world(services, status="in_mediation")
    await _move(services, other.case_id, CaseEventKind.WITHDRAW)
    await deliver_pending(services)
    effective = await sent_messages(services, template="case_agreement_effective", channel="inapp")
    assert {m.user_id for m in effective} == {w.applicant.id, w.respondent.id, w.mediator.id}
    withdrawn = await sent_messages(services, template="case_withdrawn", channel="inapp")
    assert {m.user_id for m in withdrawn} == {
        other.applicant.id, other.respondent.id, other.mediator.id,
    }


async def test_notify_case_participants_by_role_in_each_users_locale(services: Services) -> None:
    w = await make_world(services)
    english = await make_user(services, "agent", password=None, locale="en")
    async with services.db.uow() as uow:
        from odr.cases.models import AgentAuthorization, CaseParticipant

        now = services.clock.now()
        uow.session.add(AgentAuthorization(
            case_id=w.case_id, party_id=w.respondent_party, agent_user_id=english.id,
            scopes=["general"], valid_from=now, created_at=now,
        ))
        uow.session.add(CaseParticipant(
            case_id=w.case_id, user_id=english.id, role="agent", party_id=w.respondent_party,
            created_at=now,
        ))
    for _ in range(2):  # the same notice twice is queued once
        async with services.db.uow() as uow:
            case = await load_case_for_update(uow, w.case_id)
            reached = await notify_case_participants(
                uow, services, case, "case_failed", {"ground": "not_suitable"}, ("respondent",),
                channels=("inapp",),
            )
            assert reached == 2
    async with services.db.reader() as uow:
        queued = (await uow.session.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "notify.send")
        )).scalar_one()
    assert queued == 2
    await deliver_pending(services)
    got = {m.user_id: m for m in await sent_messages(services, template="case_failed")}
    assert set(got) == {w.respondent.id, english.id}
    assert "not suitable for mediation" in got[english.id].body
    assert "纠纷不适宜调解" in got[w.respondent.id].body
