"""Court referrals (委派 / 委托) and walk-ins registered at an institution's desk."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from odr.accounts.models import Membership, User
from odr.cases.models import CaseParticipant, CaseParty, Consent
from odr.services import Services
from tests.cases.intake.support import (
    case_count,
    company,
    institution,
    key,
    load_case,
    person,
    person_of,
)
from tests.cases.parties.support import sms_messages
from tests.factories import make_user, seeded_orgs, sign_in

REFERRALS = "/api/v1/cases/referrals"
WALK_INS = "/api/v1/cases/walk-ins"


def referral(institution_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "entrusted",
        "institution_id": institution_id,
        "court_case_number": "（2026）沪74民初123号",
        "procedure": "summary",
        "title": "金融借款合同纠纷",
        "category": "banking",
        "claim_amount": "500000",
        "claims": "偿还借款本金及利息",
        "facts": "被告向原告借款后未按期还款。",
        "applicants": [company()],
        "respondents": [person()],
    }
    body.update(overrides)
    return body


def walk_in(**overrides: Any) -> dict[str, Any]:
    body = referral(0, applicants=[person()], respondents=[company()])
    for name in ("channel", "institution_id", "court_case_number", "procedure"):
        body.pop(name)
    body["consent_taken_in_person"] = True
    body.update(overrides)
    return body


async def _also_member(services: Services, user: User, court_id: int) -> None:
    async with services.db.uow() as uow:
        uow.session.add(Membership(user_id=user.id, court_id=court_id, role=user.role,
                                   created_at=services.clock.now()))


async def test_judge_entrusts_a_filed_case_to_an_institution(
    client: httpx.AsyncClient, services: Services
) -> None:
    courts, _ = await seeded_orgs(services)
    target = await institution(services, "SFCDMC")
    judge = await make_user(services, "judge", court_id=courts[0])
    await sign_in(client, services, judge)

    response = await client.post(REFERRALS, json=referral(target), headers=key())

    assert response.status_code == 201, response.text
    case = await load_case(services, response.json()["id"])
    assert (case.channel, case.procedure, case.court_case_number) == (
        "entrusted", "summary", "（2026）沪74民初123号")
    assert (case.court_id, case.institution_id, case.status) == (courts[0], target, "submitted")
    assert re.fullmatch(r"SFCDMC-2026-\d{5}", case.number)
    async with services.db.reader() as uow:
        parties = (await uow.session.execute(select(CaseParty).where(CaseParty.case_id == case.id))).scalars().all()
        participants = (await uow.session.execute(select(CaseParticipant))).scalars().all()
        consents = (await uow.session.execute(select(Consent))).scalars().all()
    assert all(p.user_id is None for p in parties) and len(parties) == 2
    assert participants == [] and consents == []  # the court's referral needs no notice consent
    detail = (await client.get(f"/api/v1/cases/{case.id}")).json()
    assert detail["court"]["code"] == "SHJRFY" and detail["institution"]["code"] == "SFCDMC"
    assert detail["procedure"] == "summary"


async def test_clerk_delegates_before_filing(client: httpx.AsyncClient, services: Services) -> None:
    courts, _ = await seeded_orgs(services)
    clerk = await make_user(services, "clerk", court_id=courts[1])
    await sign_in(client, services, clerk)
    body = referral(await institution(services, "HKJPMC"), channel="delegated",
                    court_case_number=None, procedure=None, category="general_civil")

    response = await client.post(REFERRALS, json=body)

    assert response.status_code == 201, response.text
    case = await load_case(services, response.json()["id"])
    assert (case.channel, case.procedure, case.court_id) == ("delegated", None, courts[1])


async def test_judge_of_several_courts_names_the_one_referring(
    client: httpx.AsyncClient, services: Services
) -> None:
    courts, _ = await seeded_orgs(services)
    target = await institution(services, "SFCDMC")
    judge = await make_user(services, "judge", court_id=courts[0])
    await _also_member(services, judge, courts[2])
    await sign_in(client, services, judge)

    unnamed = await client.post(REFERRALS, json=referral(target))
    named = await client.post(REFERRALS, json=referral(target, court_id=courts[2]))
    foreign = await client.post(REFERRALS, json=referral(target, court_id=courts[3]))

    assert unnamed.status_code == 422 and "several courts" in unnamed.json()["error"]["message"]
    assert named.status_code == 201
    assert (await load_case(services, named.json()["id"])).court_id == courts[2]
    assert foreign.status_code == 403
    assert await case_count(services) == 1


async def test_a_judge_of_another_court_cannot_see_the_referral(
    client: httpx.AsyncClient, services: Services
) -> None:
    courts, _ = await seeded_orgs(services)
    judge = await make_user(services, "judge", court_id=courts[0])
    await sign_in(client, services, judge)
    case_id = (await client.post(REFERRALS, json=referral(await institution(services, "SFCDMC")))).json()["id"]
    colleague = await make_user(services, "clerk", court_id=courts[0])
    stranger = await make_user(services, "judge", court_id=courts[1])

    await sign_in(client, services, colleague)
    seen = await client.get(f"/api/v1/cases/{case_id}")
    await sign_in(client, services, stranger)
    refused = await client.get(f"/api/v1/cases/{case_id}")
    listed = (await client.get("/api/v1/cases")).json()
    queue = (await client.get("/api/v1/review/queue")).json()

    assert seen.status_code == 200
    assert refused.status_code == 403
    assert listed["total"] == 0 and queue["total"] == 0


BAD_REFERRALS = [
    ("entrusted without court case number", {"court_case_number": None}, 422, "court case number"),
    ("entrusted without procedure", {"procedure": None}, 422, "procedure"),
    ("a procedure for a delegated case", {"channel": "delegated", "court_case_number": None}, 422, "only an entrusted case"),
    ("an unknown channel", {"channel": "arbitration"}, 422, "channel"),
    ("no target institution", {"institution_id": None}, 422, "institution_id"),
    ("an institution that does not exist", {"institution_id": 99999}, 422, "no active institution"),
    ("an invalid party", {"respondents": [{**person(), "mobile": "010-1234"}]}, 422, "mobile"),
]


@pytest.mark.parametrize(("what", "change", "status", "message"), BAD_REFERRALS, ids=[b[0] for b in BAD_REFERRALS])
async def test_bad_referrals_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, services: Services, what: str, change: dict[str, Any], status: int,
    message: str,
) -> None:
    courts, _ = await seeded_orgs(services)
    judge = await make_user(services, "judge", court_id=courts[0])
    await sign_in(client, services, judge)

    body = {**referral(await institution(services, "SFCDMC")), **change}
    response = await client.post(REFERRALS, json=body)

    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert message in error["message"] + str(error["details"])
    assert await case_count(services) == 0


@pytest.mark.parametrize("role", ["party", "agent", "mediator", "institution_admin", "admin"])
async def test_only_judges_and_clerks_refer(client: httpx.AsyncClient, services: Services, role: str) -> None:
    await seeded_orgs(services)
    await sign_in(client, services, await make_user(services, role))

    response = await client.post(REFERRALS, json=referral(await institution(services, "SFCDMC")))

    assert response.status_code == 403
    assert await case_count(services) == 0


async def test_a_judge_without_a_court_cannot_refer(client: httpx.AsyncClient, services: Services) -> None:
    await seeded_orgs(services)
    await sign_in(client, services, await make_user(services, "judge"))

    response = await client.post(REFERRALS, json=referral(await institution(services, "SFCDMC")))

    assert response.status_code == 403 and "no court" in response.json()["error"]["message"]
    assert await case_count(services) == 0


# ---------------------------------------------------------------- walk-ins


async def test_admin_registers_a_walk_in_with_consent_taken_in_person_L1(
    client: httpx.AsyncClient, services: Services
) -> None:
    await seeded_orgs(services)
    inst = await institution(services, "SCMC")
    admin = await make_user(services, "institution_admin", institution_id=inst)
    await sign_in(client, services, admin)

    response = await client.post(WALK_INS, json=walk_in(), headers=key())

    assert response.status_code == 201, response.text
    case = await load_case(services, response.json()["id"])
    assert (case.channel, case.institution_id, case.status) == ("walk_in", inst, "submitted")
    assert case.number.startswith("SCMC-2026-")
    async with services.db.reader() as uow:
        [applicant] = (await uow.session.execute(select(CaseParty).where(
            CaseParty.case_id == case.id, CaseParty.side == "applicant"))).scalars().all()
        [consent] = (await uow.session.execute(select(Consent))).scalars().all()
    assert (consent.party_id, consent.channel, consent.decision, consent.by_user_id) == (
        applicant.id, "in_person", "agree", admin.id)
    assert consent.notice_version


async def test_a_walk_in_without_recorded_consent_is_refused_L1(
    client: httpx.AsyncClient, services: Services
) -> None:
    await seeded_orgs(services)
    admin = await make_user(services, "institution_admin", institution_id=await institution(services, "SCMC"))
    await sign_in(client, services, admin)

    response = await client.post(WALK_INS, json=walk_in(consent_taken_in_person=False))

    assert response.status_code == 422
    assert "consented in person" in response.json()["error"]["message"]
    assert await case_count(services) == 0


async def test_an_admin_registers_walk_ins_only_for_its_own_institution(
    client: httpx.AsyncClient, services: Services
) -> None:
    await seeded_orgs(services)
    admin = await make_user(services, "institution_admin", institution_id=await institution(services, "SCMC"))
    await sign_in(client, services, admin)

    response = await client.post(WALK_INS, json=walk_in(institution_id=await institution(services, "CSLSC")))

    assert response.status_code == 403
    assert await case_count(services) == 0


async def test_a_retried_referral_with_its_key_files_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    courts, _ = await seeded_orgs(services)
    await sign_in(client, services, await make_user(services, "judge", court_id=courts[0]))
    body, headers = referral(await institution(services, "SFCDMC")), key()

    first = await client.post(REFERRALS, json=body, headers=headers)
    again = await client.post(REFERRALS, json=body, headers=headers)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert await case_count(services) == 1


async def test_a_referral_links_its_applicant_with_an_account_and_texts_one_without(
    client: httpx.AsyncClient, services: Services
) -> None:
    courts, _ = await seeded_orgs(services)
    judge = await make_user(services, "judge", court_id=courts[0])
    plaintiff = await make_user(services, "party")  # verified: linked at once
    stranger = {**person(), "mobile": "13812340000"}  # no account: an SMS link to claim
    await sign_in(client, services, judge)
    body = referral(await institution(services, "SFCDMC"),
                    applicants=[person_of(services, plaintiff), stranger])

    response = await client.post(REFERRALS, json=body, headers=key())

    assert response.status_code == 201, response.text
    case_id = response.json()["id"]
    (linked,) = await sms_messages(services, "applicant_linked")
    assert linked["user_id"] == plaintiff.id and linked["context"]["filer"] == "上海金融法院"
    (invited,) = await sms_messages(services, "applicant_invitation")
    assert invited["recipient"] == "13812340000" and "/respond/" in invited["context"]["link"]
    await sign_in(client, services, plaintiff)
    mine = (await client.get("/api/v1/cases")).json()
    assert [c["id"] for c in mine["items"]] == [case_id]


async def test_a_walk_in_links_its_applicant_with_an_account(
    client: httpx.AsyncClient, services: Services
) -> None:
    await seeded_orgs(services)
    inst = await institution(services, "SCMC")
    admin = await make_user(services, "institution_admin", institution_id=inst)
    visitor = await make_user(services, "party")
    await sign_in(client, services, admin)

    response = await client.post(WALK_INS, json=walk_in(applicants=[person_of(services, visitor)]),
                                 headers=key())

    assert response.status_code == 201, response.text
    await sign_in(client, services, visitor)
    detail = (await client.get(f"/api/v1/cases/{response.json()['id']}")).json()
    assert detail["my_roles"] == ["applicant"]
