"""Online file reading (网上阅卷) through the API: apply, decide, read watermarked, expire."""

from __future__ import annotations

import io
from datetime import timedelta

import httpx
from PIL import Image, ImageChops
from sqlalchemy import select

from odr.audit.models import AuditEntry
from odr.clock import ManualClock, to_local
from odr.services import Services
from tests.cases.documents.support import (
    World,
    act_as,
    compact,
    docx,
    make_world,
    pdf,
    pdf_pages_text,
    png,
    upload,
)


def requests_url(case_id: int) -> str:
    return f"/api/v1/cases/{case_id}/file-reading-requests"


async def seed(client: httpx.AsyncClient, services: Services, w: World) -> dict[str, int]:
    ids: dict[str, int] = {}
    plan = [
        (w.applicant, "借款合同", pdf(3, "contract"), "借款合同.pdf", {}),
        (w.respondent, "还款记录截图", png(), "还款记录.png", {}),
        (w.respondent, "答辩意见", docx(), "答辩意见.docx", {}),
        (w.respondent, "被申请人内部材料", pdf(), "内部.pdf", {"visibility": "own_side"}),
        (w.applicant, "申请人内部材料", pdf(), "内部.pdf", {"visibility": "own_side"}),
        (w.mediator, "背靠背笔录", pdf(), "笔录.pdf", {"visibility": "mediator_only"}),
        (w.mediator, "让步方案", pdf(), "方案.pdf", {"confidential": "true"}),
    ]
    for uploader, title, data, name, extra in plan:
        await act_as(client, services, uploader)
        response = await upload(client, w.case_id, data, name, title=title, **extra)
        assert response.status_code == 201, response.text
        ids[title] = response.json()["id"]
    return ids


async def apply(client: httpx.AsyncClient, services: Services, w: World, reader: object = None) -> int:
    await act_as(client, services, reader or w.reader)  # type: ignore[arg-type]
    response = await client.post(requests_url(w.case_id), json={"reason": "代理诉讼，需查阅案卷"})
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "pending"
    return int(response.json()["id"])


async def decide(client: httpx.AsyncClient, services: Services, w: World, rid: int, **body: object) -> httpx.Response:
    await act_as(client, services, w.judge)
    return await client.post(f"{requests_url(w.case_id)}/{rid}/decide", json=body)


async def test_approved_reader_sees_a_watermark_on_every_page_and_each_view_is_audited(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    w = await make_world(services)
    ids = await seed(client, services, w)
    rid = await apply(client, services, w)
    approved = await decide(client, services, w, rid, approve=True, days=3)
    assert approved.status_code == 200, approved.text
    assert approved.json()["active"] is True
    clock.advance(hours=5)

    await act_as(client, services, w.reader)
    response = await client.get(f"/api/v1/cases/{w.case_id}/file-reading/{ids['借款合同']}")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline;")
    assert response.headers["cache-control"] == "private, no-store"
    stamp = f"阅卷人 {w.reader.real_name} {to_local(clock.now()):%Y-%m-%d %H:%M} 网上阅卷 仅供阅览"
    pages = pdf_pages_text(response.content)
    raw_pages = pdf_pages_text(response.content, raw=True)
    assert len(pages) == 3
    for number, (page, raw) in enumerate(zip(pages, raw_pages, strict=True), 1):
        assert f"contract {number}" in page  # the original content is still there
        assert stamp in page  # the footer line
        assert compact(raw).count(compact(stamp)) >= 2  # footer and the diagonal overlay
    image = await client.get(f"/api/v1/cases/{w.case_id}/file-reading/{ids['还款记录截图']}")
    assert image.status_code == 200
    original = Image.open(io.BytesIO(png())).convert("RGB")
    marked = Image.open(io.BytesIO(image.content)).convert("RGB")
    assert marked.size == original.size
    assert ImageChops.difference(original, marked).getbbox() is not None  # something was drawn

    async with services.db.reader() as uow:
        views = (await uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "case.file_read").order_by(AuditEntry.seq)
        )).scalars().all()
    assert [(v.actor_id, v.subject_id) for v in views] == [
        (w.reader.id, str(ids["借款合同"])), (w.reader.id, str(ids["还款记录截图"])),
    ]
    assert views[0].data["watermark"] == stamp


async def test_access_ends_when_the_approval_expires(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    w = await make_world(services)
    ids = await seed(client, services, w)
    rid = await apply(client, services, w)
    await decide(client, services, w, rid, approve=True, days=3)
    url = f"/api/v1/cases/{w.case_id}/file-reading/{ids['借款合同']}"
    clock.advance(timedelta(days=3) - timedelta(seconds=1))
    await act_as(client, services, w.reader)  # a fresh sign-in: login sessions expire on their own
    assert (await client.get(url)).status_code == 200

    clock.advance(seconds=1)
    response = await client.get(url)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "file_reading_expired"
    assert (await client.get(f"/api/v1/cases/{w.case_id}/file-reading")).status_code == 403


async def test_the_readable_file_leaves_out_confidential_mediator_only_and_the_other_sides_material_L11(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    ids = await seed(client, services, w)
    rid = await apply(client, services, w)
    await decide(client, services, w, rid, approve=True)
    await act_as(client, services, w.reader)

    listed = await client.get(f"/api/v1/cases/{w.case_id}/file-reading")

    assert listed.status_code == 200, listed.text
    items = {d["title"]: d for d in listed.json()["items"]}
    assert set(items) == {"借款合同", "还款记录截图", "答辩意见", "申请人内部材料"}
    assert items["答辩意见"]["readable_online"] is False
    for hidden in ("背靠背笔录", "让步方案", "被申请人内部材料"):
        response = await client.get(f"/api/v1/cases/{w.case_id}/file-reading/{ids[hidden]}")
        assert response.status_code == 404, hidden
    office = await client.get(f"/api/v1/cases/{w.case_id}/file-reading/{ids['答辩意见']}")
    assert office.status_code == 415
    assert "cannot be read online" in office.json()["error"]["message"]
    # read-only: the read-file authority does not open the documents API itself
    assert (await client.get(f"/api/v1/cases/{w.case_id}/documents")).status_code == 403
    assert (await upload(client, w.case_id, pdf(), "a.pdf")).status_code == 403


async def test_nothing_is_readable_before_approval_or_after_refusal(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    ids = await seed(client, services, w)
    rid = await apply(client, services, w)
    url = f"/api/v1/cases/{w.case_id}/file-reading/{ids['借款合同']}"
    pending = await client.get(url)
    assert pending.status_code == 403
    assert pending.json()["error"]["code"] == "file_reading_not_approved"
    again = await client.post(requests_url(w.case_id), json={"reason": "再次申请"})
    assert again.status_code == 409

    no_reason = await decide(client, services, w, rid, approve=False)
    assert no_reason.status_code == 422
    refused = await decide(client, services, w, rid, approve=False, reason="与本案无关")
    assert refused.status_code == 200
    assert refused.json()["status"] == "refused"
    twice = await decide(client, services, w, rid, approve=True)
    assert twice.status_code == 409

    await act_as(client, services, w.reader)
    assert (await client.get(url)).status_code == 403
    mine = (await client.get(requests_url(w.case_id))).json()["items"]
    assert [(r["status"], r["decision_reason"]) for r in mine] == [("refused", "与本案无关")]


async def test_who_applies_and_who_decides(client: httpx.AsyncClient, services: Services) -> None:
    w = await make_world(services)
    for refused in (w.applicant, w.respondent, w.mediator, w.other_party):
        await act_as(client, services, refused)
        response = await client.post(requests_url(w.case_id), json={"reason": "查阅"})
        assert response.status_code == 403, refused.role
    rid = await apply(client, services, w, w.applicant_agent)  # a party's general agent may apply
    for refused in (w.respondent, w.admin, w.other_judge, w.other_mediator, w.reader):
        await act_as(client, services, refused)
        response = await client.post(f"{requests_url(w.case_id)}/{rid}/decide", json={"approve": True})
        assert response.status_code == 403, refused.role
    await act_as(client, services, w.mediator)
    decided = await client.post(f"{requests_url(w.case_id)}/{rid}/decide", json={"approve": True, "days": 1})
    assert decided.status_code == 200, decided.text
    assert decided.json()["valid_until"] is not None
    # staff list every request; the other side's agent sees none of them
    await act_as(client, services, w.admin)
    assert len((await client.get(requests_url(w.case_id))).json()["items"]) == 1
    await act_as(client, services, w.respondent_agent)
    assert (await client.get(requests_url(w.case_id))).json()["items"] == []


async def test_a_request_of_another_case_cannot_be_decided_here(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    rid = await apply(client, services, w)
    await act_as(client, services, w.other_judge)
    response = await client.post(f"{requests_url(w.other_case_id)}/{rid}/decide", json={"approve": True})
    assert response.status_code == 404
