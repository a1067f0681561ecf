"""Conflicts of interest (L7): automatic (the mediator is or represents a party), declared
(by ID number or name), disclosed in a case (continue only if every party agrees), and the
parties' right to another mediator, whose refusal counts as refusing mediation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mediators import answers, profiles, selection
from mediators.facts import conflicts_of_case
from mediators.models import AssignmentStatus, DisclosureStatus
from odr.accounts.service import DOC_CONTEXT
from odr.cases.models import AgentAuthorization, CaseParticipant
from odr.errors import Conflict
from odr.services import Services
from tests.factories import make_user
from tests.mediators.support import (
    actor_of,
    add_mediator,
    assignments_of,
    case_of,
    case_waiting,
    drain,
    org,
    parties,
    party_id_of,
    queue_of,
)


async def _conflicts(services: Services, case_id: int) -> dict[int, list[str]]:
    async with services.db.reader() as uow:
        return await conflicts_of_case(uow.session, case_id)


async def test_a_mediator_who_is_a_party_is_in_conflict_by_account_and_by_id_number_L7(
    services: Services,
) -> None:
    o = await org(services)
    mediator = await add_mediator(services, o)
    # The same person filed as a party: matched by the keyed hash of the ID number (no account link).
    twin = await make_user(services, "party", password=None,
                           id_doc_number_enc=mediator.id_doc_number_enc,
                           id_doc_lookup=None)
    _, respondent = await parties(services)
    case_id = await case_waiting(services, o, applicant=twin, respondent=respondent)
    found = await _conflicts(services, case_id)
    assert found == {mediator.id: ["is_party"], twin.id: ["is_party"], respondent.id: ["is_party"]}
    assert await selection.designate(services, o.admin_actor, case_id, mediator_id=None,
                                     institution_id=None, note=None) is None
    (item,) = await queue_of(services, case_id)
    assert "conflict of interest" in item.reason


async def test_a_mediator_who_represents_a_party_is_in_conflict_L7(services: Services) -> None:
    o = await org(services)
    mediator = await add_mediator(services, o)
    case_id = await case_waiting(services, o)
    now = services.clock.now()
    async with services.db.uow() as uow:
        party_id = (await uow.session.execute(
            select(CaseParticipant.party_id).where(CaseParticipant.case_id == case_id,
                                                   CaseParticipant.role == "applicant"))).scalar_one()
        uow.session.add(AgentAuthorization(case_id=case_id, party_id=party_id,
                                           agent_user_id=mediator.id, scopes=["general"],
                                           valid_from=now, created_at=now))
    assert (await _conflicts(services, case_id))[mediator.id] == ["represents_party"]


async def test_declared_conflicts_match_by_id_number_or_by_name_and_can_be_withdrawn_L7(
    services: Services,
) -> None:
    o = await org(services)
    by_id = await add_mediator(services, o)
    by_name = await add_mediator(services, o)
    free = await add_mediator(services, o)
    applicant, respondent = await parties(services)
    case_id = await case_waiting(services, o, applicant=applicant, respondent=respondent)
    number = services.crypto.decrypt(applicant.id_doc_number_enc or b"", context=DOC_CONTEXT)
    me = actor_of(by_id, institutions=[o.institution_id])
    await profiles.declare_conflict(services, me, by_id.id, kind="person", name="别名",
                                    id_doc_number=number.lower(), note="表亲")
    named = await profiles.declare_conflict(services, o.admin_actor, by_name.id, kind="person",
                                            name=f" {respondent.real_name} ", id_doc_number=None,
                                            note="前同事")
    found = await _conflicts(services, case_id)
    assert found[by_id.id] == ["declared"] and found[by_name.id] == ["declared"]
    assert free.id not in found
    assignment = await selection.designate(services, o.admin_actor, case_id, mediator_id=None,
                                           institution_id=None, note=None)
    assert assignment is not None and assignment.mediator_id == free.id
    await profiles.withdraw_conflict(services, o.admin_actor, by_name.id, named.id)
    assert by_name.id not in await _conflicts(services, case_id)


async def test_a_conflicted_mediator_cannot_be_designated_or_overridden_in_L7(services: Services) -> None:
    o = await org(services)
    m = await add_mediator(services, o)
    case_id = await case_waiting(services, o)
    applicant_name = (await _party_names(services, case_id))[0]
    await profiles.declare_conflict(services, o.admin_actor, m.id, kind="person", name=applicant_name,
                                    id_doc_number=None, note="")
    for call in (
        selection.designate(services, o.admin_actor, case_id, mediator_id=m.id, institution_id=None,
                            note=None),
        selection.override(services, o.admin_actor, case_id, mediator_id=m.id, reason="坚持"),
    ):
        with pytest.raises(Exception) as err:
            await call
        assert "conflict" in str(err.value.details)  # type: ignore[attr-defined]


async def _party_names(services: Services, case_id: int) -> list[str]:
    from odr.cases.models import CaseParty

    async with services.db.reader() as uow:
        return list((await uow.session.execute(
            select(CaseParty.name).where(CaseParty.case_id == case_id).order_by(CaseParty.id))).scalars())


# ---------------------------------------------------------------- disclosure in a case


async def test_disclosure_continues_only_when_every_party_agrees_L7(services: Services) -> None:
    o = await org(services)
    m = await add_mediator(services, o)
    applicant, respondent = await parties(services)
    case_id = await case_waiting(services, o, applicant=applicant, respondent=respondent)
    await selection.designate(services, o.admin_actor, case_id, mediator_id=m.id,
                              institution_id=None, note=None)
    me = actor_of(m, institutions=[o.institution_id])
    await answers.accept(services, me, case_id)
    d = await answers.disclose(services, me, case_id, statement="我曾在申请人的开户银行任职")
    with pytest.raises(Conflict):
        await answers.disclose(services, me, case_id, statement="again")
    d = await answers.answer_disclosure(services, actor_of(applicant), case_id, d.id, agree=True,
                                        reason="", party_id=None)
    assert d.status == DisclosureStatus.OPEN
    with pytest.raises(Conflict):  # one answer per party
        await answers.answer_disclosure(services, actor_of(applicant), case_id, d.id, agree=False,
                                        reason="", party_id=None)
    d = await answers.answer_disclosure(services, actor_of(respondent), case_id, d.id, agree=True,
                                        reason="", party_id=None)
    assert d.status == DisclosureStatus.CONTINUED
    case = await case_of(services, case_id)
    assert (case.status, case.mediator_id) == ("in_mediation", m.id)


async def test_one_refusal_after_a_disclosure_replaces_the_mediator_L7(services: Services) -> None:
    o = await org(services)
    m = await add_mediator(services, o, capacity=10)
    other = await add_mediator(services, o, capacity=4)
    applicant, respondent = await parties(services)
    case_id = await case_waiting(services, o, applicant=applicant, respondent=respondent)
    await selection.designate(services, o.admin_actor, case_id, mediator_id=m.id,
                              institution_id=None, note=None)
    me = actor_of(m, institutions=[o.institution_id])
    await answers.accept(services, me, case_id)
    d = await answers.disclose(services, me, case_id, statement="被申请人是我的前雇主")
    d = await answers.answer_disclosure(services, actor_of(respondent), case_id, d.id, agree=False,
                                        reason="担心不公正", party_id=None)
    assert d.status == DisclosureStatus.REPLACED
    await drain(services)
    case = await case_of(services, case_id)
    assert (case.status, case.mediator_id) == ("mediator_assigned", other.id)
    old, new = await assignments_of(services, case_id)
    assert old.status == AssignmentStatus.REPLACED and new.party_replacement


# ---------------------------------------------------------------- replacement at a party's request


async def test_a_party_may_ask_for_another_mediator_never_the_same_L7(services: Services) -> None:
    o = await org(services)
    first = await add_mediator(services, o, capacity=10)
    second = await add_mediator(services, o, capacity=4)
    applicant, respondent = await parties(services)
    case_id = await case_waiting(services, o, applicant=applicant, respondent=respondent)
    await selection.designate(services, o.admin_actor, case_id, mediator_id=first.id,
                              institution_id=None, note=None)
    await answers.accept(services, actor_of(first, institutions=[o.institution_id]), case_id)
    period_before = await _period_due(services, case_id)
    await answers.request_replacement(services, actor_of(applicant), case_id, reason="沟通不畅",
                                      party_id=None)
    await drain(services)
    case = await case_of(services, case_id)
    assert (case.status, case.mediator_id) == ("mediator_assigned", second.id)
    await answers.accept(services, actor_of(second, institutions=[o.institution_id]), case_id)
    assert await _period_due(services, case_id) == period_before  # the L13 period continues
    with pytest.raises(Conflict) as err:  # a second request would refuse the replacement
        await answers.request_replacement(services, actor_of(respondent), case_id, reason="再换",
                                          party_id=None)
    assert err.value.code == "replacement_given"


async def _period_due(services: Services, case_id: int) -> object:
    from odr.cases.models import Deadline

    async with services.db.reader() as uow:
        return (await uow.session.execute(
            select(Deadline.due_at).where(Deadline.case_id == case_id,
                                          Deadline.kind == "mediation_period",
                                          Deadline.status == "open"))).scalar_one()


async def test_refusing_the_replacement_mediator_ends_the_mediation_L7(services: Services) -> None:
    o = await org(services)
    first = await add_mediator(services, o, capacity=10)
    second = await add_mediator(services, o, capacity=4)
    applicant, respondent = await parties(services)
    case_id = await case_waiting(services, o, applicant=applicant, respondent=respondent)
    await selection.designate(services, o.admin_actor, case_id, mediator_id=first.id,
                              institution_id=None, note=None)
    with pytest.raises(Conflict) as err:  # nothing to refuse yet
        await answers.refuse_replacement(services, actor_of(respondent), case_id, reason="x",
                                         party_id=None)
    assert err.value.code == "not_a_replacement"
    await answers.request_replacement(services, actor_of(applicant), case_id, reason="沟通不畅",
                                      party_id=await party_id_of(services, case_id, applicant))
    await drain(services)
    assert (await case_of(services, case_id)).mediator_id == second.id
    await answers.refuse_replacement(services, actor_of(respondent), case_id,
                                     reason="不接受新的调解员", party_id=None)
    case = await case_of(services, case_id)
    assert (case.status, case.end_ground) == ("failed", "refused_replacement_mediator")
    (_, new) = await assignments_of(services, case_id)
    assert new.status == AssignmentStatus.RELEASED and not new.holds_slot


async def test_a_replacement_stays_one_when_its_mediator_declines_L7(services: Services) -> None:
    o = await org(services)
    first = await add_mediator(services, o, capacity=10)
    second = await add_mediator(services, o, capacity=6)
    third = await add_mediator(services, o, capacity=3)
    applicant, respondent = await parties(services)
    case_id = await case_waiting(services, o, applicant=applicant, respondent=respondent)
    await selection.designate(services, o.admin_actor, case_id, mediator_id=first.id,
                              institution_id=None, note=None)
    await answers.request_replacement(services, actor_of(applicant), case_id, reason="不满意",
                                      party_id=None)
    await drain(services)
    assert (await case_of(services, case_id)).mediator_id == second.id
    await answers.decline(services, actor_of(second, institutions=[o.institution_id]), case_id,
                          reason="日程冲突")
    await drain(services)
    case = await case_of(services, case_id)
    assert case.mediator_id == third.id
    assert (await assignments_of(services, case_id))[-1].party_replacement
    await answers.refuse_replacement(services, actor_of(respondent), case_id, reason="不同意",
                                     party_id=None)
    assert (await case_of(services, case_id)).end_ground == "refused_replacement_mediator"
