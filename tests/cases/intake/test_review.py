"""Review: the queue, accept or reject with a reason, the applicant's fix and resubmission."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

import httpx
import pytest
from sqlalchemy import select

from odr.accounts.models import IdentityLevel, Role, User
from odr.audit.models import AuditEntry
from odr.cases.models import CaseEvent, CaseParty
from odr.policy import Actor, CaseView, Permission, decide
from odr.services import Services
from tests.cases.intake.support import (
    application,
    company,
    file,
    institution,
    load_case,
    person,
    person_of,
)
from tests.cases.intake.test_referrals import referral
from tests.factories import make_user, seeded_orgs, sign_in


@dataclass
class Scene:
    applicant: User
    case_id: int
    preferred: int
    admin: User  # of the preferred institution
    other_admin: User
    courts: list[int]


async def scene(client: httpx.AsyncClient, services: Services) -> Scene:
    """A self-filed application preferring SFCDMC, and the staff around it."""
    courts, _ = await seeded_orgs(services)
    preferred = await institution(services, "SFCDMC")
    applicant = await make_user(services, "party")
    await sign_in(client, services, applicant)
    response = await file(client, application(person_of(services, applicant),
                                              preferred_institution_id=preferred))
    assert response.status_code == 201, response.text
    admin = await make_user(services, "institution_admin", institution_id=preferred)
    other = await make_user(services, "institution_admin",
                            institution_id=await institution(services, "CSLSC"))
    return Scene(applicant, response.json()["id"], preferred, admin, other, courts)


def url(case_id: int, action: str) -> str:
    return f"/api/v1/cases/{case_id}/{action}"


# The timeline events intake and review write (other parts' hooks add their own).
OURS = {"filed", "start_review", "accept", "reject", "assign_institution", "application_amended",
        "resubmit"}


async def timeline(services: Services, case_id: int) -> list[str]:
    """The case's timeline events of intake and review, in order."""
    async with services.db.reader() as uow:
        kinds = (await uow.session.execute(
            select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )).scalars()
        return [k for k in kinds if k in OURS]


async def test_the_preferred_institution_reviews_and_accepting_assigns_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    s = await scene(client, services)
    await sign_in(client, services, s.admin)

    queue = (await client.get("/api/v1/review/queue")).json()
    detail = await client.get(f"/api/v1/cases/{s.case_id}")
    started = await client.post(url(s.case_id, "review/start"))
    accepted = await client.post(url(s.case_id, "review/accept"))

    assert [i["id"] for i in queue["items"]] == [s.case_id] and queue["total"] == 1
    assert queue["items"][0]["claim_amount"] == "12345.67"
    assert queue["items"][0]["applicants"] == [s.applicant.real_name]
    assert detail.status_code == 200  # the reviewer reads the application it reviews
    assert started.json()["status"] == "under_review"
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "institution_assigned"
    case = await load_case(services, s.case_id)
    assert case.institution_id == s.preferred
    assert case.accepted_at == services.clock.now()
    assert await timeline(services, s.case_id) == [
        "filed", "start_review", "accept", "assign_institution"]
    async with services.db.reader() as uow:
        actions = (await uow.session.execute(select(AuditEntry.action).where(
            AuditEntry.subject_type == "case", AuditEntry.subject_id == str(s.case_id))
            .order_by(AuditEntry.seq))).scalars().all()
    assert [a for a in actions if a.removeprefix("case.") in OURS] == [
        "case.filed", "case.start_review", "case.accept", "case.assign_institution"]
    assert (await client.get("/api/v1/review/queue")).json()["total"] == 0


async def test_rejection_reason_reaches_the_applicant_who_fixes_and_resubmits(
    client: httpx.AsyncClient, services: Services
) -> None:
    s = await scene(client, services)
    await sign_in(client, services, s.admin)
    rejected = await client.post(url(s.case_id, "review/reject"),
                                 json={"reason": "请补充被申请人的准确住所地"})
    assert rejected.json()["status"] == "rejected"

    await sign_in(client, services, s.applicant)
    seen = (await client.get(f"/api/v1/cases/{s.case_id}")).json()
    fixed_respondent = {**company(), "address": "上海市浦东新区陆家嘴环路1000号"}
    body = application(person_of(services, s.applicant), claim_amount="20000.00",
                       preferred_institution_id=await institution(services, "PDFDMC"))
    for name in ("applicants", "notice_version", "consent_to_online_mediation"):
        body.pop(name)
    body["respondents"] = [fixed_respondent, person()]
    amended = await client.put(url(s.case_id, "application"), json=body)
    resubmitted = await client.post(url(s.case_id, "resubmit"))

    assert seen["status"] == "rejected" and seen["status_label"] == "已退回"
    assert seen["rejection_reason"] == "请补充被申请人的准确住所地"
    assert "resubmit" in seen["allowed_events"]
    assert amended.status_code == 200, amended.text
    assert resubmitted.json()["status"] == "submitted"
    after = (await client.get(f"/api/v1/cases/{s.case_id}")).json()
    assert after["rejection_reason"] is None
    assert after["claim_amount"] == "20000.00"
    assert after["preferred_institution"]["code"] == "PDFDMC"
    respondents = [p for p in after["parties"] if p["side"] == "respondent"]
    assert [r["address"] for r in respondents] == [fixed_respondent["address"], body["respondents"][1]["address"]]
    assert await timeline(services, s.case_id) == ["filed", "reject", "application_amended", "resubmit"]
    async with services.db.reader() as uow:
        [event] = (await uow.session.execute(select(CaseEvent).where(
            CaseEvent.kind == "reject"))).scalars().all()
        parties = (await uow.session.execute(select(CaseParty).where(
            CaseParty.case_id == s.case_id))).scalars().all()
    assert event.data["reason"] == "请补充被申请人的准确住所地"
    assert len(parties) == 3
    # Now the new preferred institution reviews it, not the old one.
    await sign_in(client, services, s.admin)
    assert (await client.get("/api/v1/review/queue")).json()["total"] == 0


async def test_a_court_reviews_its_referral_and_accepting_leaves_it_accepted(
    client: httpx.AsyncClient, services: Services
) -> None:
    courts, _ = await seeded_orgs(services)
    judge = await make_user(services, "judge", court_id=courts[0])
    await sign_in(client, services, judge)
    case_id = (await client.post("/api/v1/cases/referrals",
                                 json=referral(await institution(services, "SFCDMC")))).json()["id"]
    queue = (await client.get("/api/v1/review/queue")).json()
    accepted = await client.post(url(case_id, "review/accept"))

    assert [i["id"] for i in queue["items"]] == [case_id]
    assert accepted.json()["status"] == "accepted"


async def test_the_institution_a_court_refers_to_accepts_and_is_assigned(
    client: httpx.AsyncClient, services: Services
) -> None:
    courts, _ = await seeded_orgs(services)
    target = await institution(services, "SFCDMC")
    await sign_in(client, services, await make_user(services, "clerk", court_id=courts[0]))
    case_id = (await client.post("/api/v1/cases/referrals", json=referral(target))).json()["id"]
    await sign_in(client, services, await make_user(services, "institution_admin", institution_id=target))
    accepted = await client.post(url(case_id, "review/accept"))

    assert accepted.json()["status"] == "institution_assigned"


async def test_accepting_twice_is_a_conflict_with_a_message(
    client: httpx.AsyncClient, services: Services
) -> None:
    s = await scene(client, services)
    await sign_in(client, services, s.admin)
    await client.post(url(s.case_id, "review/accept"))

    again = await client.post(url(s.case_id, "review/accept"))
    reject = await client.post(url(s.case_id, "review/reject"), json={"reason": "晚了"})

    assert (again.status_code, reject.status_code) == (409, 409)
    assert again.json()["error"]["code"] == "illegal_transition"
    assert "cannot accept" in again.json()["error"]["message"]
    assert (await load_case(services, s.case_id)).status == "institution_assigned"


async def test_the_applicant_cannot_change_an_application_under_review(
    client: httpx.AsyncClient, services: Services
) -> None:
    s = await scene(client, services)
    body = application(person_of(services, s.applicant))
    for name in ("applicants", "respondents", "notice_version", "consent_to_online_mediation"):
        body.pop(name)

    changed = await client.put(url(s.case_id, "application"), json={**body, "title": "改"})
    resubmitted = await client.post(url(s.case_id, "resubmit"))

    assert (changed.status_code, resubmitted.status_code) == (409, 409)
    assert (await load_case(services, s.case_id)).title == "信用卡透支利息纠纷"


async def test_a_party_cannot_accept_its_own_case(client: httpx.AsyncClient, services: Services) -> None:
    s = await scene(client, services)  # signed in as the applicant

    for action in ("review/start", "review/accept"):
        response = await client.post(url(s.case_id, action))
        assert response.status_code == 403, action
    rejected = await client.post(url(s.case_id, "review/reject"), json={"reason": "x"})
    queue = await client.get("/api/v1/review/queue")

    assert rejected.status_code == 403 and queue.status_code == 403
    assert (await load_case(services, s.case_id)).status == "submitted"


async def test_an_admin_of_another_institution_cannot_review_or_read(
    client: httpx.AsyncClient, services: Services
) -> None:
    s = await scene(client, services)
    await sign_in(client, services, s.other_admin)

    queue = (await client.get("/api/v1/review/queue")).json()
    read = await client.get(f"/api/v1/cases/{s.case_id}")
    accept = await client.post(url(s.case_id, "review/accept"))

    assert queue["total"] == 0
    assert (read.status_code, accept.status_code) == (403, 403)
    assert (await load_case(services, s.case_id)).status == "submitted"


async def test_a_preferred_institution_stops_reading_once_another_is_assigned(
    client: httpx.AsyncClient, services: Services
) -> None:
    """Reading as reviewer ends with the review: afterwards only the assigned institution reads."""
    s = await scene(client, services)
    await sign_in(client, services, s.admin)
    await client.post(url(s.case_id, "review/accept"))

    await sign_in(client, services, s.other_admin)
    assert (await client.get(f"/api/v1/cases/{s.case_id}")).status_code == 403
    await sign_in(client, services, s.admin)
    assert (await client.get(f"/api/v1/cases/{s.case_id}")).status_code == 200


async def test_rejecting_needs_a_reason(client: httpx.AsyncClient, services: Services) -> None:
    s = await scene(client, services)
    await sign_in(client, services, s.admin)

    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = await client.post(url(s.case_id, "review/reject"), json=body)
        assert response.status_code == 422, body
    assert (await load_case(services, s.case_id)).status == "submitted"


async def test_a_party_of_another_case_cannot_amend_or_resubmit(
    client: httpx.AsyncClient, services: Services
) -> None:
    s = await scene(client, services)
    await sign_in(client, services, s.admin)
    await client.post(url(s.case_id, "review/reject"), json={"reason": "材料不全"})
    stranger = await make_user(services, "party")
    await sign_in(client, services, stranger)

    resubmitted = await client.post(url(s.case_id, "resubmit"))
    read = await client.get(f"/api/v1/cases/{s.case_id}")

    assert (resubmitted.status_code, read.status_code) == (403, 403)
    assert (await load_case(services, s.case_id)).status == "rejected"


# ---------------------------------------------------------------- the policy as a table


def _actor(role: Role, user_id: int, *, institutions: AbstractSet[int] = frozenset(),
           courts: AbstractSet[int] = frozenset(), level: str = IdentityLevel.BASIC) -> Actor:
    return Actor(user_id=user_id, role=role, institution_ids=frozenset(institutions),
                 court_ids=frozenset(courts), identity_level=level)


REFERRED = CaseView(case_id=1, status="submitted", institution_id=3, court_id=5,
                    participants={1: frozenset({"applicant"}), 2: frozenset({"agent"})},
                    channel="entrusted", agent_scopes={2: frozenset({"general"})})
SELF_FILED = CaseView(case_id=2, status="rejected", institution_id=None, court_id=None,
                      participants={1: frozenset({"applicant"}), 2: frozenset({"agent"}),
                                    3: frozenset({"agent"}), 4: frozenset({"respondent"})},
                      agent_scopes={2: frozenset({"general"}), 3: frozenset({"read_file"})},
                      preferred_institution_id=3)

REVIEW_TABLE = [
    ("admin of the referred-to institution", _actor(Role.INSTITUTION_ADMIN, 9, institutions={3}), REFERRED, True),
    ("admin of another institution", _actor(Role.INSTITUTION_ADMIN, 9, institutions={4}), REFERRED, False),
    ("judge of the referring court", _actor(Role.JUDGE, 9, courts={5}), REFERRED, True),
    ("clerk of the referring court", _actor(Role.CLERK, 9, courts={5}), REFERRED, True),
    ("judge of another court", _actor(Role.JUDGE, 9, courts={6}), REFERRED, False),
    ("the applicant", _actor(Role.PARTY, 1), REFERRED, False),
    ("the applicant's agent", _actor(Role.AGENT, 2), REFERRED, False),
    ("a mediator of the institution", _actor(Role.MEDIATOR, 9, institutions={3}), REFERRED, False),
    ("platform admin", _actor(Role.ADMIN, 9), REFERRED, False),
    ("admin of the preferred institution", _actor(Role.INSTITUTION_ADMIN, 9, institutions={3}), SELF_FILED, True),
    ("admin of another institution, self-filed", _actor(Role.INSTITUTION_ADMIN, 9, institutions={4}), SELF_FILED, False),
    ("judge, self-filed case without court", _actor(Role.JUDGE, 9, courts={5}), SELF_FILED, False),
]


@pytest.mark.parametrize(("who", "actor", "case", "allowed"), REVIEW_TABLE, ids=[t[0] for t in REVIEW_TABLE])
def test_who_reviews_by_relationship(who: str, actor: Actor, case: CaseView, allowed: bool) -> None:
    assert bool(decide(actor, Permission.CASE_REVIEW, case)) is allowed


def test_the_preferred_institution_no_longer_reviews_once_another_is_assigned() -> None:
    assigned = replace(SELF_FILED, institution_id=4)
    assert not decide(_actor(Role.INSTITUTION_ADMIN, 9, institutions={3}), Permission.CASE_REVIEW, assigned)


AMEND_TABLE = [
    ("the applicant", _actor(Role.PARTY, 1), True),
    ("the applicant, unverified (L2)", _actor(Role.PARTY, 1, level=IdentityLevel.NONE), False),
    ("an agent with general authority", _actor(Role.AGENT, 2), True),
    ("an agent with read-file authority only", _actor(Role.AGENT, 3), False),
    ("the respondent", _actor(Role.PARTY, 4), False),
    ("a party of another case", _actor(Role.PARTY, 8), False),
    ("admin of the preferred institution", _actor(Role.INSTITUTION_ADMIN, 9, institutions={3}), False),
]


@pytest.mark.parametrize(("who", "actor", "allowed"), AMEND_TABLE, ids=[t[0] for t in AMEND_TABLE])
def test_who_amends_the_application_by_relationship(who: str, actor: Actor, allowed: bool) -> None:
    assert bool(decide(actor, Permission.CASE_AMEND, SELF_FILED)) is allowed
