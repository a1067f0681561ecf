"""Drafting over HTTP: pre-fill, versions and diff, stale edits, voiding, L18 oral, L19, abandon."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from agreements.drafting.voiding import VOIDED_TEMPLATE
from agreements.models import Agreement
from agreements.signing.effect import FINISH_PDF_KIND
from odr.cases.models import Case
from odr.clock import to_local
from odr.outbox.models import LiveEvent, OutboxMessage
from odr.services import Services
from tests.agreements.drafting.support import World, act_as, load, make_world, timeline_kinds
from tests.factories import add_signature, make_agreement


def drafts_url(case_id: int) -> str:
    return f"/api/v1/cases/{case_id}/agreements"


def url(agreement_id: int, tail: str = "") -> str:
    return f"/api/v1/agreements/{agreement_id}{tail}"


async def create(client: httpx.AsyncClient, w: World, **body: Any) -> dict[str, Any]:
    response = await client.post(drafts_url(w.case_id), json={"language": "zh-CN", **body})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def complete(services: Services, content: dict[str, Any], w: World) -> dict[str, Any]:
    """The pre-filled content with one agreed term: nothing left for L15."""
    due = to_local(services.clock.now()).date() + timedelta(days=30)
    return {**content, "terms": [{
        "key": "pay", "obligor_party_ids": [w.respondent_party_id],
        "obligee_party_ids": [w.applicant_party_id], "text": "被申请人向申请人支付八万元。",
        "amount_fen": 8_000_000, "manner": "银行转账", "due_on": due.isoformat(),
    }]}


async def outbox(services: Services, kind: str) -> list[OutboxMessage]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )).scalars())


async def test_a_new_draft_is_prefilled_from_the_case_and_its_template_L15(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services, category="banking")
    await act_as(client, services, w.mediator)

    body = await create(client, w)

    content = body["version"]["content"]
    assert body["status"] == "draft" and body["version"]["number"] == 1
    assert content["title"] == "银行业纠纷调解协议书"
    assert content["case_number"] == w.case.number
    assert content["mediator_name"] == w.mediator.real_name
    assert content["institution_name"]
    assert content["facts"] == "申请人借给被申请人十万元，到期未还。"
    assert "三十日内" in content["other_terms"] and content["copies_note"]
    parties = {p["party_id"]: p for p in content["parties"]}
    assert list(parties) == [w.applicant_party_id, w.respondent_party_id]
    applicant = parties[w.applicant_party_id]
    assert applicant["name"] == w.applicant.real_name and applicant["side"] == "applicant"
    assert applicant["id_masked"].startswith("**************") and len(applicant["id_masked"]) == 18
    assert w.applicant.id_doc_last4 and applicant["id_masked"].endswith(w.applicant.id_doc_last4)
    mobile = w.applicant.mobile or ""
    assert applicant["mobile_masked"] == f"{mobile[:3]}****{mobile[-4:]}"
    assert applicant["address"] == "上海市黄浦区测试路1号"
    assert applicant["agent_name"] == w.agent.real_name
    assert content["terms"] == []
    assert {"field": "terms", "code": "required"} in [
        {k: p[k] for k in ("field", "code")} for p in body["problems"]]
    assert [(r["role"], r["party_id"]) for r in body["required"]] == [
        ("party", w.applicant_party_id), ("party", w.respondent_party_id),
        ("mediator", None), ("seal", None)]
    assert "agreement_drafted" in await timeline_kinds(services, w.case_id)

    listed = await client.get(drafts_url(w.case_id))
    assert [a["id"] for a in listed.json()["agreements"]] == [body["agreement"]["id"]]


async def test_english_draft_uses_the_english_template(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await act_as(client, services, w.mediator)
    body = await create(client, w, language="en")
    assert body["version"]["content"]["title"] == "Financial Consumer Dispute Mediation Agreement"
    assert body["version"]["content"]["language"] == "en"


async def test_templates_for_every_category_in_both_languages(client: httpx.AsyncClient) -> None:
    everything = (await client.get("/api/v1/agreement-templates")).json()["templates"]
    assert len(everything) == 18
    one = await client.get("/api/v1/agreement-templates",
                           params={"category": "insurance", "language": "en"})
    assert [(t["category"], t["language"]) for t in one.json()["templates"]] == [("insurance", "en")]


async def test_marriage_adoption_inheritance_are_refused_with_the_reason_L19(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services, category="general_civil")
    await act_as(client, services, w.mediator)
    for status in ("marriage", "adoption", "inheritance"):
        response = await client.post(drafts_url(w.case_id), json={
            "language": "zh-CN", "personal_status": status})
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "electronic_signature_excluded"
        assert "Electronic Signature Law" in error["message"] and "paper" in error["message"]
        assert error["details"]["rule"] == "L19"
    oral = await client.post(drafts_url(w.case_id) + "/oral", json={
        "content": {"parties": []}, "personal_status": "inheritance"})
    assert oral.status_code == 422 and oral.json()["error"]["code"] == "electronic_signature_excluded"
    async with services.db.reader() as uow:
        count = (await uow.session.execute(select(func.count()).select_from(Agreement))).scalar_one()
    assert count == 0


async def test_only_one_open_agreement_per_case(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await act_as(client, services, w.mediator)
    first = await create(client, w)
    second = await client.post(drafts_url(w.case_id), json={"language": "zh-CN"})
    assert second.status_code == 409
    assert second.json()["error"]["details"]["agreement_id"] == first["agreement"]["id"]


async def test_edits_make_versions_with_changed_fields_and_a_diff(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await act_as(client, services, w.mediator)
    body = await create(client, w)
    aid = body["agreement"]["id"]
    content = complete(services, body["version"]["content"], w)

    v2 = await client.put(url(aid, "/content"), json={
        "base_version": 1, "content": content, "note": "加入付款条款"})
    assert v2.status_code == 200, v2.text
    assert v2.json()["version"]["number"] == 2 and v2.json()["problems"] == []
    changed = {**content, "facts": "双方确认借款十万元。",
               "terms": [{**content["terms"][0], "amount_fen": 9_000_000}]}
    v3 = await client.put(url(aid, "/content"), json={"base_version": 2, "content": changed})
    assert v3.status_code == 200, v3.text

    versions = (await client.get(url(aid, "/versions"))).json()
    assert versions["current_version"] == 3
    assert [(v["number"], v["changed_fields"], v["author_id"]) for v in versions["versions"]] == [
        (1, [], w.mediator.id), (2, ["terms.pay"], w.mediator.id),
        (3, ["facts", "terms.pay"], w.mediator.id)]
    assert versions["versions"][1]["change_note"] == "加入付款条款"
    assert versions["versions"][1]["author_name"] == w.mediator.real_name
    one = (await client.get(url(aid, "/versions/2"))).json()
    assert one["content"]["terms"][0]["amount_fen"] == 8_000_000

    diff = (await client.get(url(aid, "/diff"), params={"from": 2, "to": 3})).json()
    assert diff["changes"] == [
        {"field": "facts", "change": "changed", "old": "申请人借给被申请人十万元，到期未还。",
         "new": "双方确认借款十万元。"},
        {"field": "terms.pay.amount_fen", "change": "changed", "old": 8_000_000, "new": 9_000_000},
    ]
    added = (await client.get(url(aid, "/diff"), params={"from": 1, "to": 2})).json()["changes"]
    assert [(c["field"], c["change"], c["old"]) for c in added] == [("terms.pay", "added", None)]
    assert (await client.get(url(aid, "/diff"), params={"from": 1, "to": 9})).status_code == 404
    assert (await client.get(url(aid, "/versions/9"))).status_code == 404


async def test_identity_details_come_from_the_case_not_the_editor(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await act_as(client, services, w.mediator)
    body = await create(client, w)
    content = complete(services, body["version"]["content"], w)
    original = body["version"]["content"]["parties"][0]["id_masked"]
    content["parties"] = [{**content["parties"][0], "id_masked": "**************0000"},
                          *content["parties"][1:]]
    content["case_number"] = "FORGED"
    response = await client.put(url(body["agreement"]["id"], "/content"),
                                json={"base_version": 1, "content": content})
    saved = response.json()["version"]["content"]
    assert saved["parties"][0]["id_masked"] == original != "**************0000"
    assert saved["case_number"] == w.case.number


async def test_a_stale_base_version_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await act_as(client, services, w.mediator)
    body = await create(client, w)
    aid = body["agreement"]["id"]
    content = complete(services, body["version"]["content"], w)
    assert (await client.put(url(aid, "/content"),
                             json={"base_version": 1, "content": content})).status_code == 200

    stale = await client.put(url(aid, "/content"), json={
        "base_version": 1, "content": {**content, "facts": "另一种说法"}})

    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_version"
    assert stale.json()["error"]["details"]["current_version"] == 2
    agreement, versions, _ = await load(services, aid)
    assert agreement.current_version == 2 and len(versions) == 2
    assert versions[-1].content["facts"] != "另一种说法"


async def test_bad_edits_are_refused_and_change_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await act_as(client, services, w.mediator)
    body = await create(client, w)
    aid = body["agreement"]["id"]
    content = body["version"]["content"]
    same = await client.put(url(aid, "/content"), json={"base_version": 1, "content": content})
    assert same.status_code == 422 and same.json()["error"]["code"] == "unchanged"
    stranger = {**content, "parties": [*content["parties"], {
        "party_id": 999999, "side": "respondent", "kind": "person", "name": "王五"}]}
    bad = await client.put(url(aid, "/content"), json={"base_version": 1, "content": stranger})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_party"
    negative = {**content, "terms": [{"key": "x", "obligor_party_ids": [], "text": "t",
                                      "amount_fen": -1}]}
    assert (await client.put(url(aid, "/content"), json={
        "base_version": 1, "content": negative})).status_code == 422
    floaty = await client.put(url(aid, "/content"), json={
        "base_version": 1, "content": {**content, "unknown_field": 1}})
    assert floaty.status_code == 422
    agreement, versions, _ = await load(services, aid)
    assert agreement.current_version == 1 and len(versions) == 1


async def test_an_edit_voids_earlier_signatures_and_tells_the_signers(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    agreement = await make_agreement(services, w.case, author=w.mediator, status="signing")
    applicant_sig = await add_signature(services, agreement, role="party", signer=w.applicant,
                                        party_id=w.applicant_party_id)
    mediator_sig = await add_signature(services, agreement, role="mediator", signer=w.mediator)
    await act_as(client, services, w.mediator)
    before = (await client.get(url(agreement.id))).json()
    assert [s["valid"] for s in before["signatures"]] == [True, True]
    assert [r["role"] for r in before["required"]] == ["party", "seal"]

    content = before["version"]["content"]
    response = await client.put(url(agreement.id, "/content"), json={
        "base_version": 1, "content": {**content, "responsibilities": "双方各自承担一半责任。"}})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "draft"
    assert [(s["id"], s["valid"], s["void_reason"]) for s in body["signatures"]] == [
        (applicant_sig.id, False, "the agreement was changed in version 2"),
        (mediator_sig.id, False, "the agreement was changed in version 2")]
    assert all(s["voided_at"] for s in body["signatures"])
    assert len(body["required"]) == 4
    notices = [m for m in await outbox(services, "notify.send")
               if m.payload["template"] == VOIDED_TEMPLATE]
    assert {m.payload["user_id"] for m in notices} == {w.applicant.id, w.mediator.id}
    assert {m.payload["channel"] for m in notices} == {"inapp", "sms"}
    async with services.db.reader() as uow:
        live = list((await uow.session.execute(select(LiveEvent.payload).where(
            LiveEvent.room == f"case:{w.case_id}", LiveEvent.event == "agreement.changed"))).scalars())
    assert live and live[-1]["voided_signature_ids"] == [applicant_sig.id, mediator_sig.id]
    assert "agreement_revised" in await timeline_kinds(services, w.case_id)


async def test_an_oral_agreement_takes_effect_when_recorded_L18(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await act_as(client, services, w.mediator)
    body = await create(client, w)
    content = complete(services, body["version"]["content"], w)
    await client.post(url(body["agreement"]["id"], "/abandon"), json={"reason": "改为口头协议"})

    response = await client.post(drafts_url(w.case_id) + "/oral",
                                 json={"content": content, "note": "当场达成口头协议"})

    assert response.status_code == 201, response.text
    oral = response.json()
    assert oral["agreement"]["kind"] == "oral" and oral["status"] == "effective"
    assert oral["agreement"]["effective_version"] == 1 and oral["agreement"]["pdf_state"] == "pending"
    assert oral["problems"] == [] and oral["required"] == [] and oral["signers"] == []
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, w.case_id)
        assert case is not None and case.status == "agreement_effective"
    jobs = await outbox(services, FINISH_PDF_KIND)
    assert [j.payload for j in jobs] == [{"agreement_id": oral["agreement"]["id"]}]
    kinds = await timeline_kinds(services, w.case_id)
    assert kinds.index("agreement_oral_recorded") < kinds.index("agreement_takes_effect")


async def test_an_incomplete_oral_agreement_is_refused_and_nothing_changes_L18(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await act_as(client, services, w.mediator)
    body = await create(client, w)
    await client.post(url(body["agreement"]["id"], "/abandon"), json={"reason": "口头"})
    content = {**complete(services, body["version"]["content"], w), "disputed_matters": ""}

    response = await client.post(drafts_url(w.case_id) + "/oral", json={"content": content})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "content_incomplete"
    assert {"field": "disputed_matters", "code": "required"} in [
        {k: p[k] for k in ("field", "code")} for p in response.json()["error"]["details"]]
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, w.case_id)
        assert case is not None and case.status == "in_mediation"
        kinds = list((await uow.session.execute(select(Agreement.kind).where(
            Agreement.case_id == w.case_id))).scalars())
    assert kinds == ["written"]
    assert await outbox(services, FINISH_PDF_KIND) == []


async def test_abandon_by_the_mediator_with_a_reason(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await act_as(client, services, w.mediator)
    aid = (await create(client, w))["agreement"]["id"]
    assert (await client.post(url(aid, "/abandon"), json={"reason": ""})).status_code == 422
    response = await client.post(url(aid, "/abandon"), json={"reason": "双方意见反复"})
    assert response.status_code == 200
    assert response.json()["agreement"]["abandon_reason"] == "双方意见反复"
    again = await client.post(url(aid, "/abandon"), json={"reason": "再次"})
    assert again.status_code == 409
    edit = await client.put(url(aid, "/content"), json={
        "base_version": 1, "content": response.json()["version"]["content"]})
    assert edit.status_code == 409 and edit.json()["error"]["code"] == "not_editable"
    assert "agreement_abandoned" in await timeline_kinds(services, w.case_id)


async def test_ending_the_mediation_abandons_the_open_draft(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await act_as(client, services, w.mediator)
    aid = (await create(client, w))["agreement"]["id"]

    ended = await client.post(f"/api/v1/cases/{w.case_id}/end", json={
        "ground": "party_refused_to_sign", "reasons": "被申请人拒绝签署"})

    assert ended.status_code == 200, ended.text
    agreement, _, _ = await load(services, aid)
    assert agreement.status == "abandoned"
    assert agreement.abandon_reason == "the mediation ended without agreement"
    assert "agreement_abandoned" in await timeline_kinds(services, w.case_id)


async def test_parties_read_their_draft_but_not_another_cases_and_do_not_edit(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    agreement = await make_agreement(services, w.case, author=w.mediator)

    await act_as(client, services, w.respondent)
    own = await client.get(url(agreement.id))
    assert own.status_code == 200
    edit = await client.put(url(agreement.id, "/content"), json={
        "base_version": 1, "content": own.json()["version"]["content"]})
    assert edit.status_code == 403
    assert (await client.post(drafts_url(w.case_id), json={})).status_code == 403

    await act_as(client, services, w.other_party)
    for path in ("", "/versions", "/versions/1"):
        assert (await client.get(url(agreement.id, path))).status_code in (403, 404)
    assert (await client.get(url(agreement.id, "/diff"), params={"from": 1, "to": 1})
            ).status_code in (403, 404)
    assert (await client.get(drafts_url(w.case_id))).status_code in (403, 404)
    assert (await client.post(url(agreement.id, "/abandon"), json={"reason": "x"})
            ).status_code in (403, 404)
    assert (await client.get(url(987654))).status_code == 404


async def test_withdrawing_the_case_abandons_the_open_draft(services: Services) -> None:
    from odr.cases.lifecycle import CaseEventKind
    from odr.cases.transitions import Who, load_case_for_update, transition

    w = await make_world(services)
    agreement = await make_agreement(services, w.case, author=w.mediator, status="signing")
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, w.case_id)
        await transition(uow, services, case, CaseEventKind.WITHDRAW, Who(w.applicant.id, "party"),
                         reason="双方和解")
    row, _, _ = await load(services, agreement.id)
    assert (row.status, row.abandon_reason) == ("abandoned", "the case was withdrawn")


async def test_a_meeting_of_another_case_and_an_oral_beside_an_open_draft_are_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    from tests.factories import make_meeting

    w = await make_world(services)
    async with services.db.reader() as uow:
        other_case = await uow.session.get(Case, w.other_case_id)
    assert other_case is not None
    meeting = await make_meeting(services, other_case, host=w.mediator)
    own_meeting = await make_meeting(services, w.case)
    await act_as(client, services, w.mediator)
    wrong = await client.post(drafts_url(w.case_id), json={"meeting_id": meeting.id})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "unknown_meeting"
    body = await create(client, w, meeting_id=own_meeting.id)
    assert body["agreement"]["meeting_id"] == own_meeting.id
    content = complete(services, body["version"]["content"], w)
    oral = await client.post(drafts_url(w.case_id) + "/oral", json={"content": content})
    assert oral.status_code == 409 and oral.json()["error"]["code"] == "open_agreement_exists"


async def test_the_drafting_api_is_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("/api/v1/agreement-templates", "/api/v1/cases/{case_id}/agreements",
                 "/api/v1/cases/{case_id}/agreements/oral", "/api/v1/agreements/{agreement_id}",
                 "/api/v1/agreements/{agreement_id}/diff", "/api/v1/agreements/{agreement_id}/content"):
        assert path in paths, path


async def test_replacing_the_mediator_voids_the_signatures_of_the_open_draft(
    services: Services,
) -> None:
    from odr.cases.lifecycle import CaseEventKind
    from odr.cases.transitions import Who, load_case_for_update, transition

    w = await make_world(services)
    agreement = await make_agreement(services, w.case, author=w.mediator, status="signing")
    await add_signature(services, agreement, role="mediator", signer=w.mediator)
    await add_signature(services, agreement, role="party", signer=w.respondent,
                        party_id=w.respondent_party_id)
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, w.case_id)
        await transition(uow, services, case, CaseEventKind.REPLACE_MEDIATOR,
                         Who(w.admin.id, "institution_admin"), reason="回避")

    row, _, signatures = await load(services, agreement.id)
    assert row.status == "draft"
    assert [s.void_reason for s in signatures] == ["the mediator was replaced"] * 2
    notices = [m for m in await outbox(services, "notify.send")
               if m.payload["template"] == VOIDED_TEMPLATE]
    assert {m.payload["user_id"] for m in notices} == {w.mediator.id, w.respondent.id}
