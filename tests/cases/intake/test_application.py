"""Filing online: a verified party or agent files, confirms the notice (L1), and retries safely."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from odr.audit.models import AuditEntry
from odr.cases.models import (
    AgentAuthorization,
    CaseDocument,
    CaseEvent,
    CaseParticipant,
    CaseParty,
    Consent,
)
from odr.services import Services
from tests.cases.intake.support import (
    APPLICATIONS,
    application,
    case_count,
    company,
    file,
    institution,
    key,
    load_case,
    person,
    person_of,
    uscc,
)
from tests.factories import make_user, resident_id, seeded_orgs, sign_in
from tests.storage import samples


async def _rows(services: Services, model: Any, case_id: int) -> list[Any]:
    async with services.db.reader() as uow:
        stmt = select(model).where(model.case_id == case_id).order_by(model.id)
        return list((await uow.session.execute(stmt)).scalars())


async def test_party_files_an_application_and_is_its_applicant_L1(
    client: httpx.AsyncClient, services: Services
) -> None:
    await seeded_orgs(services)
    user = await make_user(services, "party")
    await sign_in(client, services, user)
    preferred = await institution(services, "SFCDMC")
    body = application(person_of(services, user), preferred_institution_id=preferred)

    response = await file(client, body)

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "submitted"
    assert re.fullmatch(r"SFCDMC-2026-\d{5}", created["number"])
    assert response.headers["location"] == f"/api/v1/cases/{created['id']}"
    case = await load_case(services, created["id"])
    assert case.claim_amount_fen == 1_234_567
    assert case.channel == "self_filed"
    assert case.preferred_institution_id == preferred and case.institution_id is None
    applicant, respondent = await _rows(services, CaseParty, case.id)
    assert (applicant.side, applicant.user_id) == ("applicant", user.id)
    assert (respondent.side, respondent.user_id, respondent.kind) == ("respondent", None, "organisation")
    assert respondent.legal_representative == "李四"
    [participant] = await _rows(services, CaseParticipant, case.id)
    assert (participant.user_id, participant.role, participant.party_id) == (user.id, "applicant", applicant.id)
    [consent] = await _rows(services, Consent, case.id)
    assert (consent.party_id, consent.stage, consent.decision, consent.channel) == (
        applicant.id, "mediation_online", "agree", "web")
    assert consent.notice_version == body["notice_version"] and consent.by_user_id == user.id
    [event] = await _rows(services, CaseEvent, case.id)
    assert event.kind == "filed" and event.actor_id == user.id
    async with services.db.reader() as uow:
        actions = (await uow.session.execute(
            select(AuditEntry.action).where(AuditEntry.subject_id == str(case.id)))).scalars().all()
    assert "case.filed" in actions

    detail = (await client.get(f"/api/v1/cases/{case.id}")).json()
    assert detail["status_label"] == "已提交"
    assert detail["my_roles"] == ["applicant"]
    me = detail["parties"][0]
    assert me["id_doc_number"] == "*" * 14 + body["applicants"][0]["id_doc_number"][-4:]
    assert me["mobile"].count("*") == 4


async def test_the_case_list_shows_the_new_case(client: httpx.AsyncClient, services: Services) -> None:
    user = await make_user(services, "party")
    await sign_in(client, services, user)
    created = (await file(client, application(person_of(services, user)))).json()

    listed = (await client.get("/api/v1/cases")).json()

    assert [c["id"] for c in listed["items"]] == [created["id"]]
    assert listed["items"][0]["number"] == created["number"]


async def test_a_retry_with_the_same_key_returns_the_same_case(
    client: httpx.AsyncClient, services: Services
) -> None:
    user = await make_user(services, "party")
    await sign_in(client, services, user)
    body, headers = application(person_of(services, user)), key()

    first = await file(client, body, **headers)
    again = await file(client, body, **headers)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert await case_count(services) == 1


async def test_racing_double_submissions_create_one_case(
    client: httpx.AsyncClient, services: Services
) -> None:
    user = await make_user(services, "party")
    await sign_in(client, services, user)
    body, headers = application(person_of(services, user)), key()

    answers = await asyncio.gather(*(file(client, body, **headers) for _ in range(5)))

    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await case_count(services) == 1


async def test_the_same_key_from_another_user_is_another_case(
    client: httpx.AsyncClient, services: Services
) -> None:
    headers = key()
    ids = []
    for _ in range(2):
        user = await make_user(services, "party")
        await sign_in(client, services, user)
        response = await file(client, application(person_of(services, user)), **headers)
        assert response.status_code == 201
        ids.append(response.json()["id"])
    assert ids[0] != ids[1]


async def test_agent_files_for_a_principal_under_a_power_of_attorney(
    client: httpx.AsyncClient, services: Services
) -> None:
    lawyer = await make_user(services, "agent")
    await sign_in(client, services, lawyer)
    upload = await client.post("/api/v1/files", files={"file": ("委托书.pdf", samples.pdf(), "application/pdf")})
    poa = upload.json()["sha256"]
    principal = person()
    body = application(principal, agent={
        "principal_index": 0, "power_of_attorney_sha256": poa,
        "scopes": ["general", "sign_agreement"],
    })

    response = await file(client, body)

    assert response.status_code == 201, response.text
    case_id = response.json()["id"]
    [applicant, _] = await _rows(services, CaseParty, case_id)
    assert applicant.user_id is None  # the principal links itself later
    [participant] = await _rows(services, CaseParticipant, case_id)
    assert (participant.user_id, participant.role, participant.party_id) == (lawyer.id, "agent", applicant.id)
    [grant] = await _rows(services, AgentAuthorization, case_id)
    assert (grant.agent_user_id, grant.party_id, grant.document_sha256) == (lawyer.id, applicant.id, poa)
    assert grant.scopes == ["general", "sign_agreement"] and grant.revoked_at is None
    [doc] = await _rows(services, CaseDocument, case_id)
    assert (doc.kind, doc.blob_sha256) == ("power_of_attorney", poa)
    [consent] = await _rows(services, Consent, case_id)
    assert (consent.party_id, consent.by_user_id) == (applicant.id, lawyer.id)
    detail = await client.get(f"/api/v1/cases/{case_id}")
    assert detail.status_code == 200 and detail.json()["my_roles"] == ["agent"]


async def test_evidence_uploaded_first_is_attached_to_the_case(
    client: httpx.AsyncClient, services: Services
) -> None:
    user = await make_user(services, "party")
    await sign_in(client, services, user)
    shas = [
        (await client.post("/api/v1/files", files={"file": (name, data, mime)})).json()["sha256"]
        for name, data, mime in (("合同.pdf", samples.pdf(), "application/pdf"),
                                 ("截图.png", samples.png(), "image/png"))
    ]

    response = await file(client, application(person_of(services, user), evidence_sha256s=shas))

    assert response.status_code == 201, response.text
    docs = await _rows(services, CaseDocument, response.json()["id"])
    assert [(d.kind, d.blob_sha256, d.side, d.uploaded_by_id) for d in docs] == [
        ("evidence", sha, "applicant", user.id) for sha in shas]
    assert [d.content_type for d in docs] == ["application/pdf", "image/png"]
    assert all(d.lineage_id == d.id for d in docs)


async def test_evidence_keeps_its_original_file_name_in_the_document_list(
    client: httpx.AsyncClient, services: Services
) -> None:
    user = await make_user(services, "party")
    await sign_in(client, services, user)
    uploaded = {
        name: (await client.post("/api/v1/files", files={"file": (name, data, mime)})).json()
        for name, data, mime in (("借款合同（2025）.pdf", samples.pdf(), "application/pdf"),
                                 ("转账截图.png", samples.png(), "image/png"))
    }
    evidence = [{"sha256": blob["sha256"], "filename": name} for name, blob in uploaded.items()]
    evidence[1]["title"] = "银行转账记录"

    response = await file(client, application(person_of(services, user), evidence=evidence))

    assert response.status_code == 201, response.text
    listed = await client.get(f"/api/v1/cases/{response.json()['id']}/documents")
    assert listed.status_code == 200, listed.text
    assert [(d["filename"], d["title"]) for d in listed.json()["items"]] == [
        ("借款合同（2025）.pdf", "证据1"), ("转账截图.png", "银行转账记录")]
    download = await client.get(listed.json()["items"][0]["content_url"])
    assert download.status_code == 200
    assert "filename*=UTF-8''%E5%80%9F%E6%AC%BE" in download.headers["content-disposition"]
    # A name with folders is refused before anything is stored.
    before = await case_count(services)
    bad = await file(client, application(person_of(services, user), evidence=[
        {"sha256": evidence[0]["sha256"], "filename": "../../etc/passwd"}]))
    assert bad.status_code == 422 and "folders" in bad.text
    assert await case_count(services) == before


async def test_several_applicants_each_consent_and_only_the_filer_is_linked_L1(
    client: httpx.AsyncClient, services: Services
) -> None:
    user = await make_user(services, "party")
    await sign_in(client, services, user)
    body = application(person(), applicants=[person(), person_of(services, user)],
                       respondents=[company(), person()])

    case_id = (await file(client, body)).json()["id"]

    parties = await _rows(services, CaseParty, case_id)
    assert [(p.side, p.user_id) for p in parties] == [
        ("applicant", None), ("applicant", user.id), ("respondent", None), ("respondent", None)]
    consents = await _rows(services, Consent, case_id)
    assert [c.party_id for c in consents] == [parties[0].id, parties[1].id]


# ---------------------------------------------------------------- refusals


def _bad_party(**changes: Any) -> Any:
    def change(body: dict[str, Any]) -> None:
        body["respondents"][0].update(changes)
    return change


def _set(**changes: Any) -> Any:
    def change(body: dict[str, Any]) -> None:
        body.update(changes)
    return change


def _drop(name: str) -> Any:
    def change(body: dict[str, Any]) -> None:
        body.pop(name)
    return change


def _typo(number: str) -> str:
    """``number`` with a wrong last (check) character."""
    return number[:-1] + ("1" if number[-1] != "1" else "2")


BAD_BODIES = [
    ("resident ID with a wrong check character", _set(respondents=[{**person(), "id_doc_number": _typo(resident_id(4321))}]), 422, "check character"),
    ("resident ID with a bad birth date", _set(respondents=[{**person(), "id_doc_number": "110105194913310020"}]), 422, "birth date"),
    ("resident ID too short", _set(respondents=[{**person(), "id_doc_number": "1101051949"}]), 422, "18 characters"),
    ("credit code with a wrong check character", _bad_party(id_doc_number=_typo(uscc(4321))), 422, "check character"),
    ("organisation without legal representative", _bad_party(legal_representative=None), 422, "legal representative"),
    ("person named by a credit code", _set(respondents=[{**company(), "kind": "person", "legal_representative": None}]), 422, "identified by"),
    ("bad mobile", _bad_party(mobile="12345"), 422, "mobile"),
    ("negative amount", _set(claim_amount="-1.00"), 422, "negative"),
    ("three decimals", _set(claim_amount="10.005"), 422, "two decimals"),
    ("absurd amount", _set(claim_amount="1000000000000.01"), 422, "plausible"),
    ("amount as a JSON number", _set(claim_amount=100.5), 422, "string"),
    ("amount with a comma", _set(claim_amount="12,345.00"), 422, "digits"),
    ("unknown category", _set(category="divorce"), 422, "unknown dispute category 'divorce'"),
    ("no respondent", _set(respondents=[]), 422, "respondents"),
    ("the same party twice", None, 422, "each party once"),
    ("an unknown field", _set(hack=True), 422, "hack"),
    ("unknown evidence file", _set(evidence_sha256s=["a" * 64]), 422, "upload it with POST /api/v1/files"),
    ("no notice version (L1)", _drop("notice_version"), 422, "read the platform notice"),
    ("a stale notice version (L1)", _set(notice_version="2019-01"), 422, "not the current one"),
    ("no consent to online mediation (L1)", _drop("consent_to_online_mediation"), 422, "consent to mediate online"),
    ("consent refused (L1)", _set(consent_to_online_mediation=False), 422, "consent to mediate online"),
    ("consent given as a string (L1)", _set(consent_to_online_mediation="yes"), 422, "consent_to_online_mediation"),
    ("unknown preferred institution", _set(preferred_institution_id=99999), 422, "no active institution"),
    ("filer is not among the applicants", _set(applicants=[person()]), 422, "not among the applicants"),
    ("agent without a power of attorney on file", _set(agent={"principal_index": 0, "power_of_attorney_sha256": "b" * 64}), 422, "upload it"),
    ("agent for an applicant not named", _set(agent={"principal_index": 3, "power_of_attorney_sha256": "b" * 64}), 422, "principal_index"),
    ("an agent scope that does not exist", _set(agent={"principal_index": 0, "power_of_attorney_sha256": "b" * 64, "scopes": ["everything"]}), 422, "scopes"),
]


@pytest.mark.parametrize(("what", "change", "status", "message"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
async def test_bad_applications_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, services: Services, what: str, change: Any, status: int, message: str
) -> None:
    await seeded_orgs(services)
    user = await make_user(services, "party")
    await sign_in(client, services, user)
    body = application(person_of(services, user))
    if change is None:  # the same party on both sides
        body["respondents"] = [dict(body["applicants"][0])]
    else:
        change(body)

    response = await file(client, body)

    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert message in (error["message"] + str(error["details"])), error
    assert await case_count(services) == 0


async def test_an_institution_that_does_not_take_the_category_is_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    await seeded_orgs(services)
    user = await make_user(services, "party")
    await sign_in(client, services, user)
    leasing_only = await institution(services, "SFLAMC")

    response = await file(client, application(person_of(services, user),
                                              preferred_institution_id=leasing_only))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "institution_category_mismatch"
    assert await case_count(services) == 0


async def test_filing_needs_an_idempotency_key(client: httpx.AsyncClient, services: Services) -> None:
    user = await make_user(services, "party")
    await sign_in(client, services, user)

    response = await client.post(APPLICATIONS, json=application(person_of(services, user)))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_required"
    assert await case_count(services) == 0


async def test_unverified_user_cannot_file_L2(client: httpx.AsyncClient, services: Services) -> None:
    user = await make_user(services, "party", identity_level="none")
    await sign_in(client, services, user)

    response = await file(client, application(person_of(services, user)))

    assert response.status_code == 403
    assert "verify your identity" in response.json()["error"]["message"]
    assert await case_count(services) == 0


@pytest.mark.parametrize("role", ["mediator", "institution_admin", "judge", "admin"])
async def test_staff_do_not_file_applications(
    client: httpx.AsyncClient, services: Services, role: str
) -> None:
    user = await make_user(services, role)
    await sign_in(client, services, user)

    response = await file(client, application(person_of(services, user)))

    assert response.status_code == 403
    assert await case_count(services) == 0


async def test_notice_is_public_with_both_languages_and_a_version_L1(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/notice")

    assert response.status_code == 200
    notice = response.json()
    assert notice["version"]
    assert set(notice["texts"]) == {"zh-CN", "en"}
    zh = " ".join(s["body"] for s in notice["texts"]["zh-CN"]["sections"])
    en = " ".join(s["body"] for s in notice["texts"]["en"]["sections"]).lower()
    for word in ("同意", "虚假调解", "录音录像", "电子送达"):
        assert word in zh
    for word in ("consent", "sham", "record", "served"):
        assert word in en
