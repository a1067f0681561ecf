"""Ending a mediation (L14) and the court's transfer package without confidential material (L11)."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest
from sqlalchemy import select

from odr.cases.ending.models import TransferPackage
from odr.cases.ending.package import PACKAGE_KIND
from odr.cases.models import Case, CaseEvent
from odr.outbox.handlers import get_handler
from odr.outbox.models import OutboxMessage
from odr.services import Services
from tests.cases.documents.support import (
    World,
    act_as,
    compact,
    make_world,
    pdf,
    pdf_pages_text,
    upload,
)


def end_url(case_id: int) -> str:
    return f"/api/v1/cases/{case_id}/end"


def package_url(case_id: int) -> str:
    return f"/api/v1/cases/{case_id}/transfer-package"


async def events(services: Services, case_id: int) -> list[CaseEvent]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))).scalars())


async def package_messages(services: Services) -> list[OutboxMessage]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == PACKAGE_KIND))).scalars())


CHANNELS = [
    ("delegated", "sent_for_filing", True),
    ("entrusted", "returned_to_trial", True),
    ("self_filed", "may_sue", False),
    ("walk_in", "may_sue", False),
]


@pytest.mark.parametrize(("channel", "consequence", "to_court"), CHANNELS, ids=[c[0] for c in CHANNELS])
async def test_ending_records_the_ground_and_the_consequence_by_channel_L14(
    client: httpx.AsyncClient, services: Services, channel: str, consequence: str, to_court: bool
) -> None:
    extra = {"court_case_number": "（2026）沪74民初1号", "procedure": "ordinary"} if channel == "entrusted" else {}
    w = await make_world(services, channel=channel, **extra)
    await act_as(client, services, w.mediator)

    response = await client.post(end_url(w.case_id), json={
        "ground": "party_refused_to_sign", "reasons": "被申请人拒绝在调解协议上签字",
        "cost_conduct": "被申请人两次无故缺席调解会议",
    })

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "failed"
    assert body["consequence"] == consequence
    assert body["transfer_package_queued"] is to_court
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, w.case_id)
        assert case is not None
        assert (case.status, case.end_ground, case.end_reasons) == (
            "failed", "party_refused_to_sign", "被申请人拒绝在调解协议上签字")
        assert case.closed_at is not None
    timeline = await events(services, w.case_id)
    ended = next(e for e in timeline if e.kind == "end_without_agreement")
    assert ended.data["ground"] == "party_refused_to_sign"
    assert ended.data["cost_conduct"] == "被申请人两次无故缺席调解会议"
    follow = next(e for e in timeline if e.kind == consequence)
    assert follow.visibility == "all" and follow.id > ended.id
    if channel == "entrusted":
        assert follow.data["court_case_number"] == "（2026）沪74民初1号"
    if consequence == "may_sue":
        assert "提起诉讼" in follow.data["message"]
    assert len(await package_messages(services)) == (1 if to_court else 0)


async def test_ending_is_refused_to_others_and_needs_reasons(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    body = {"ground": "party_unreachable", "reasons": "多次联系未果"}
    for refused in (w.applicant, w.applicant_agent, w.other_mediator, w.other_admin, w.judge):
        await act_as(client, services, refused)
        assert (await client.post(end_url(w.case_id), json=body)).status_code == 403, refused.role
    await act_as(client, services, w.admin)
    assert (await client.post(end_url(w.case_id), json={"ground": "party_unreachable"})).status_code == 422
    assert (await client.post(end_url(w.case_id), json={**body, "reasons": " "})).status_code == 422
    assert (await client.post(end_url(w.case_id), json={**body, "ground": "bored"})).status_code == 422
    assert (await client.post(end_url(w.case_id), json=body)).status_code == 200
    again = await client.post(end_url(w.case_id), json=body)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "illegal_transition"


async def seed_materials(client: httpx.AsyncClient, services: Services, w: World) -> None:
    plan = [
        (w.applicant, "借款合同", "借款合同.pdf", {}),
        (w.respondent, "还款凭证", "还款凭证.pdf", {}),
        (w.respondent, "被申请人让步方案", "让步方案.pdf", {"confidential": "true"}),
        (w.mediator, "背靠背调解笔录", "背靠背笔录.pdf", {"visibility": "mediator_only"}),
        (w.applicant, "申请人致调解员", "致调解员.pdf", {"visibility": "mediator_only"}),
    ]
    for uploader, title, name, extra in plan:
        await act_as(client, services, uploader)
        response = await upload(client, w.case_id, pdf(1, title.encode().hex()), name, title=title, **extra)
        assert response.status_code == 201, response.text


async def end(client: httpx.AsyncClient, services: Services, w: World) -> None:
    await act_as(client, services, w.mediator)
    response = await client.post(end_url(w.case_id), json={
        "ground": "period_ended", "reasons": "调解期限届满，双方未同意延长",
        "cost_conduct": "申请人拒不提供原件，致鉴定费用增加",
    })
    assert response.status_code == 200, response.text


async def test_transfer_package_leaves_out_confidential_and_mediator_only_documents_L11(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services, channel="delegated")
    await seed_materials(client, services, w)
    async with services.db.uow() as uow:  # a session held earlier (the meetings part writes these)
        uow.session.add(CaseEvent(case_id=w.case_id, at=services.clock.now(), kind="session_held",
                                  actor_label="mediator", data={"summary": "第一次调解会议"}))
    await end(client, services, w)
    [message] = await package_messages(services)
    await get_handler(PACKAGE_KIND)(services, message)  # what the worker does

    await act_as(client, services, w.judge)
    response = await client.get(package_url(w.case_id))

    assert response.status_code == 200, response.text
    package = response.json()
    assert package["excluded_count"] == 3
    archive = await client.get(package["zip"]["content_url"])
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        names = z.namelist()
        manifest = z.read("清单.txt").decode()
    assert names == ["01_借款合同.pdf", "02_还款凭证.pdf", "清单.txt"]
    for hidden in ("让步方案", "背靠背", "致调解员"):
        assert hidden not in manifest and not any(hidden in n for n in names)
    summary = await client.get(package["pdf"]["content_url"])
    text = compact("".join(pdf_pages_text(summary.content)))
    for shown in ("借款合同", "还款凭证", "调解期限届满且未经各方同意延长", "调解期限届满，双方未同意延长",
                  "申请人拒不提供原件，致鉴定费用增加", "第一次调解会议", w.applicant.real_name,
                  w.respondent.real_name, w.mediator.real_name, "移送法院立案"):
        assert compact(shown) in text, shown
    for hidden in ("被申请人让步方案", "背靠背调解笔录", "申请人致调解员"):
        assert hidden not in text, hidden
    # made once: the GET after the worker returns the same package
    async with services.db.reader() as uow:
        rows = (await uow.session.execute(select(TransferPackage))).scalars().all()
    assert [(r.pdf_document_id, r.zip_document_id) for r in rows] == [
        (package["pdf"]["id"], package["zip"]["id"])]


async def test_transfer_package_is_for_staff_only(client: httpx.AsyncClient, services: Services) -> None:
    w = await make_world(services, channel="entrusted", court_case_number="（2026）沪74民初2号")
    await end(client, services, w)
    await act_as(client, services, w.clerk)
    package = (await client.get(package_url(w.case_id))).json()
    for party in (w.applicant, w.respondent_agent, w.other_party):
        await act_as(client, services, party)
        assert (await client.get(package_url(w.case_id))).status_code == 403
        assert (await client.get(package["pdf"]["content_url"])).status_code in (403, 404)
    await act_as(client, services, w.applicant)
    listed = (await client.get(f"/api/v1/cases/{w.case_id}/documents")).json()["items"]
    assert [d for d in listed if d["kind"] == "transfer_package"] == []
    await act_as(client, services, w.other_judge)
    assert (await client.get(package_url(w.case_id))).status_code == 403


async def test_self_filed_package_is_made_on_demand_for_staff(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services, channel="self_filed")
    await act_as(client, services, w.admin)
    not_yet = await client.get(package_url(w.case_id))
    assert not_yet.status_code == 409
    await seed_materials(client, services, w)
    await end(client, services, w)
    assert await package_messages(services) == []
    await act_as(client, services, w.admin)

    first = await client.get(package_url(w.case_id))
    second = await client.get(package_url(w.case_id))

    assert first.status_code == 200, first.text
    assert first.json() == second.json()
    assert first.json()["included_document_ids"] and first.json()["excluded_count"] == 3
    text = compact("".join(pdf_pages_text((await client.get(first.json()["pdf"]["content_url"])).content)))
    assert "提起诉讼" in text
    timeline = [e.kind for e in await events(services, w.case_id)]
    assert timeline.count("transfer_package_generated") == 1
