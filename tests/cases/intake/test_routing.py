"""An application naming no institution is routed: one is proposed, and its staff review it."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from odr.accounts.models import User
from odr.cases.models import CaseEvent
from odr.orgs.models import Institution
from odr.services import Services
from tests.cases.intake.support import application, file, institution, load_case, person_of
from tests.factories import make_user, seeded_orgs, sign_in
from tests.mediators.support import add_mediator, org


async def _file_without_preference(
    client: httpx.AsyncClient, services: Services, category: str = "financial_leasing"
) -> tuple[int, int, User]:
    await seeded_orgs(services)
    applicant = await make_user(services, "party")
    await sign_in(client, services, applicant)
    response = await file(client, application(person_of(services, applicant), category=category))
    assert response.status_code == 201, response.text
    case = await load_case(services, response.json()["id"])
    assert case.preferred_institution_id is None and case.institution_id is None
    assert case.proposed_institution_id is not None
    return case.id, case.proposed_institution_id, applicant


async def test_an_application_without_an_institution_goes_to_a_proposed_institutions_queue(
    client: httpx.AsyncClient, services: Services
) -> None:
    case_id, proposed, _ = await _file_without_preference(client, services)
    async with services.db.reader() as uow:
        inst = await uow.session.get(Institution, proposed)
        assert inst is not None
        explained = (await uow.session.execute(select(CaseEvent).where(
            CaseEvent.case_id == case_id, CaseEvent.kind == "institution_proposed"))).scalar_one()
    assert "financial_leasing" in (inst.categories or [])  # it takes the dispute's category
    assert explained.visibility == "staff" and explained.data["institution_id"] == proposed
    assert explained.data["explanation"]["chosen"] == proposed

    # The applicant sees which institution will review it, not why (a staff-only event).
    mine = (await client.get(f"/api/v1/cases/{case_id}")).json()
    assert mine["proposed_institution"]["id"] == proposed and mine["institution"] is None
    timeline = (await client.get(f"/api/v1/cases/{case_id}/timeline")).text
    assert "institution_proposed" not in timeline

    admin = await make_user(services, "institution_admin", institution_id=proposed)
    await sign_in(client, services, admin)
    queue = (await client.get("/api/v1/review/queue")).json()
    assert [(i["id"], i["proposed_institution_id"]) for i in queue["items"]] == [(case_id, proposed)]
    assert (await client.get(f"/api/v1/cases/{case_id}")).status_code == 200
    accepted = await client.post(f"/api/v1/cases/{case_id}/review/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "institution_assigned"
    assert (await load_case(services, case_id)).institution_id == proposed
    assert (await client.get("/api/v1/review/queue")).json()["total"] == 0


async def test_other_institutions_neither_see_nor_review_a_proposed_application(
    client: httpx.AsyncClient, services: Services
) -> None:
    case_id, proposed, _ = await _file_without_preference(client, services)
    async with services.db.reader() as uow:
        other = (await uow.session.execute(
            select(Institution.id).where(Institution.id != proposed).order_by(Institution.id)
        )).scalars().first()
    outsider = await make_user(services, "institution_admin", institution_id=other)
    await sign_in(client, services, outsider)
    assert (await client.get("/api/v1/review/queue")).json()["total"] == 0
    assert (await client.get(f"/api/v1/cases/{case_id}")).status_code == 403
    assert (await client.post(f"/api/v1/cases/{case_id}/review/accept")).status_code == 403
    assert (await load_case(services, case_id)).status == "submitted"


async def test_the_applicants_later_choice_replaces_the_proposal(
    client: httpx.AsyncClient, services: Services
) -> None:
    case_id, proposed, applicant = await _file_without_preference(client, services,
                                                                   category="banking")
    chosen = await institution(services, "SFCDMC")
    admin = await make_user(services, "institution_admin", institution_id=proposed)
    await sign_in(client, services, admin)
    rejected = await client.post(f"/api/v1/cases/{case_id}/review/reject",
                                 json={"reason": "请补充证据后选择调解组织"})
    assert rejected.status_code == 200, rejected.text
    await sign_in(client, services, applicant)
    body = application({}, preferred_institution_id=chosen)
    fixed = {k: body[k] for k in ("title", "category", "claim_amount", "claims", "facts",
                                  "preferred_institution_id")}
    amended = await client.put(f"/api/v1/cases/{case_id}/application", json=fixed)
    assert amended.status_code == 200, amended.text
    case = await load_case(services, case_id)
    assert (case.preferred_institution_id, case.proposed_institution_id) == (chosen, None)


async def test_the_engine_proposes_the_institution_with_a_mediator_for_the_category(
    client: httpx.AsyncClient, services: Services
) -> None:
    """With mediators on the roster, the assignment engine's rule chooses (issue 4)."""
    o = await org(services)
    leasing = await institution(services, "SFLAMC")
    await add_mediator(services, o, specialties=["financial_leasing"],
                       institution_index=o.institution_ids.index(leasing))
    _case_id, proposed, _ = await _file_without_preference(client, services)
    assert proposed == leasing
