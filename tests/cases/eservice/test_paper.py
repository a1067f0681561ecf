"""Paper copies of judgments, rulings and mediation statements on request (L35)."""

from __future__ import annotations

import httpx

from odr.services import Services
from tests.cases.eservice.support import add_document, make_world, serve
from tests.factories import sign_in
from tests.support.notify import deliver_pending, sent_messages

ADDRESS = "上海市浦东新区世纪大道100号 张三收"


async def test_a_served_ruling_is_given_on_paper_on_request_L35(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    ruling = await add_document(services, w.case_id, title="民事裁定书", kind="ruling")
    await serve(client, services, w.judge, w.case_id, ruling, [w.applicant_party])
    await sign_in(client, services, w.applicant)
    url = f"/api/v1/cases/{w.case_id}/paper-copy-requests"
    created = await client.post(url, json={"document_id": ruling, "address": ADDRESS})
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["status"], body["party_id"], body["document_title"]) == (
        "requested", w.applicant_party, "民事裁定书",
    )
    again = await client.post(url, json={"document_id": ruling, "address": ADDRESS})
    assert again.status_code == 200 and again.json()["id"] == body["id"]

    await sign_in(client, services, w.respondent)
    assert (await client.get(url)).json()["items"] == []  # not the other side's business
    await sign_in(client, services, w.admin)
    listed = (await client.get(url)).json()["items"]
    assert [(i["id"], i["address"]) for i in listed] == [(body["id"], ADDRESS)]

    sent_url = f"{url}/{body['id']}/sent"
    await sign_in(client, services, w.mediator)
    assert (await client.post(sent_url, json={})).status_code == 403
    await sign_in(client, services, w.admin)
    sent = await client.post(sent_url, json={"note": "EMS 1234567890"})
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "sent" and sent.json()["sent_at"] is not None
    assert (await client.post(sent_url, json={})).status_code == 409
    await deliver_pending(services)
    told = await sent_messages(services, template="paper_copy_sent", user_id=w.applicant.id)
    assert len(told) == 1 and "民事裁定书" in told[0].body


async def test_paper_copies_only_for_rulings_served_on_the_party_L35(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    other = await make_world(services)
    ruling = await add_document(services, w.case_id, title="民事裁定书", kind="ruling")
    await serve(client, services, w.mediator, w.case_id, w.document_id, [w.applicant_party])
    await sign_in(client, services, w.applicant)
    url = f"/api/v1/cases/{w.case_id}/paper-copy-requests"

    notice = await client.post(url, json={"document_id": w.document_id, "address": ADDRESS})
    assert notice.status_code == 422
    assert notice.json()["error"]["code"] == "paper_copy_not_available"
    assert "notice" in notice.json()["error"]["message"]
    unserved = await client.post(url, json={"document_id": ruling, "address": ADDRESS})
    assert unserved.status_code == 409
    assert unserved.json()["error"]["code"] == "not_served_electronically"
    foreign = await client.post(url, json={"document_id": other.document_id, "address": ADDRESS})
    assert foreign.status_code == 404
    short = await client.post(url, json={"document_id": ruling, "address": ""})
    assert short.status_code == 422
    await sign_in(client, services, w.mediator)
    assert (await client.post(url, json={"document_id": ruling, "address": ADDRESS})).status_code == 403
    await sign_in(client, services, w.admin)
    assert (await client.get(url)).json()["items"] == []
