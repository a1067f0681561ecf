"""The mediator's workspace list: each assignment names its case and, while it waits for an
answer, the L6 deadline (3 working days) to accept or decline."""

from __future__ import annotations

import httpx

from mediators import selection
from odr.services import Services
from tests.factories import sign_in
from tests.mediators.support import add_mediator, case_of, case_waiting, deadlines_of, org


async def test_the_mediator_sees_its_pending_case_with_the_deadline_to_answer_L6(
    client: httpx.AsyncClient, services: Services
) -> None:
    o = await org(services)
    mediator = await add_mediator(services, o, specialties=["financial_consumer"])
    case_id = await case_waiting(services, o)
    await selection.designate(services, o.admin_actor, case_id, mediator_id=mediator.id,
                              institution_id=None, note=None)
    await sign_in(client, services, mediator)
    items = (await client.get(f"/api/v1/mediators/{mediator.id}/assignments")).json()["items"]
    case = await case_of(services, case_id)
    (due,) = await deadlines_of(services, case_id, "mediator_acceptance")
    assert [(i["case_id"], i["case_number"], i["case_title"], i["case_status"], i["status"])
            for i in items] == [(case_id, case.number, case.title, "mediator_assigned", "pending")]
    assert items[0]["respond_by_day"] == due.last_day.isoformat()
    assert items[0]["respond_by"] is not None
    assert items[0]["explanation"] is None  # the why is for institution and court staff

    accepted = await client.post(f"/api/v1/cases/{case_id}/mediator-assignment/accept")
    assert accepted.status_code == 200, accepted.text
    items = (await client.get(f"/api/v1/mediators/{mediator.id}/assignments")).json()["items"]
    assert (items[0]["status"], items[0]["respond_by"], items[0]["case_status"]) == (
        "accepted", None, "in_mediation")
