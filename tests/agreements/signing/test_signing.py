"""Signing over HTTP: who may sign, the order of refusals, and effect at the last signature (L16)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from agreements.content import content_sha256
from agreements.models import Agreement, AgreementSignature, AgreementVersion
from agreements.signing.effect import FINISH_PDF_KIND
from odr.accounts.models import User
from odr.audit.models import AuditEntry
from odr.clock import ManualClock
from odr.outbox.models import LiveEvent, OutboxMessage
from odr.services import Services
from tests.agreements.signing.support import (
    World,
    add_agent,
    current,
    last_sign_code,
    png_data_url,
    post_signature,
    request_code,
    sign_as,
    snapshot,
    world,
)
from tests.factories import make_case, make_user, seeded_orgs, sign_in

pytestmark = pytest.mark.usefixtures("db_url")


def _signers(w: World) -> dict[str, tuple[User, str, int | None]]:
    return {
        "applicant": (w.applicant, "party", w.applicant_party),
        "respondent": (w.respondent, "party", w.respondent_party),
        "mediator": (w.mediator, "mediator", None),
        "seal": (w.admin, "seal", None),
    }


@pytest.mark.parametrize("order", [
    ("applicant", "respondent", "mediator", "seal"),
    ("seal", "mediator", "respondent", "applicant"),
])
async def test_the_agreement_takes_effect_at_the_last_of_parties_mediator_and_seal_L16(
    client: httpx.AsyncClient, services: Services, clock: ManualClock, order: tuple[str, ...]
) -> None:
    w = await world(services)
    signers = _signers(w)
    times: list[datetime] = []
    for i, name in enumerate(order):
        clock.advance(timedelta(minutes=7))  # each signer comes later (a fresh session each)
        user, role, party_id = signers[name]
        r = await sign_as(client, services, user, w.agreement.id, role, party_id)
        assert r.status_code == 201, r.text
        times.append(clock.now())
        snap = await snapshot(services, w)
        last = i == len(order) - 1
        assert r.json()["effective"] is last
        if not last:
            assert snap.agreement_status == "signing" and snap.effective_at is None
            assert snap.case_status == "in_mediation" and snap.pdf_state == "none"
            assert len(r.json()["missing"]) == len(order) - 1 - i
    snap = await snapshot(services, w)
    assert snap.agreement_status == "effective" and snap.case_status == "agreement_effective"
    assert snap.effective_at == times[-1]  # the last signature's moment, not the first's
    assert snap.signatures == 4 and snap.signed_events == 4


async def test_a_signature_records_hash_client_and_audit_and_tells_the_case_room(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    r = await sign_as(client, services, w.applicant, w.agreement.id, "party", w.applicant_party,
                      device_id="phone-A")
    assert r.status_code == 201, r.text
    body = r.json()
    _n, sha = await current(services, w.agreement.id)
    assert body["content_sha256"] == sha and body["version"] == 1
    async with services.db.reader() as uow:
        sig = await uow.session.get(AgreementSignature, body["id"])
        assert sig is not None
        assert sig.client_ip and len(sig.device_hash) == 64 and "phone" not in sig.device_hash
        assert sig.image_sha256 is not None and sig.code_verified_at is not None
        audit = (await uow.session.execute(select(AuditEntry).where(
            AuditEntry.action == "agreement.signed"))).scalars().one()
        assert audit.data["version"] == 1 and audit.data["content_sha256"] == sha
        live = (await uow.session.execute(select(LiveEvent).where(
            LiveEvent.room == f"case:{w.case.id}", LiveEvent.event == "agreement.signed"
        ))).scalars().one()
        assert live.payload["party_id"] == w.applicant_party and live.payload["complete"] is False
    # The drawn image is served to participants (the other side too), not to strangers.
    await sign_in(client, services, w.respondent)
    image = await client.get(body["image_url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    stranger = await make_user(services, "party")
    await make_case(services, applicant=stranger, status="in_mediation",
                    institution_id=w.institution_id)
    await sign_in(client, services, stranger)
    assert (await client.get(body["image_url"])).status_code == 403


async def test_signing_a_stale_version_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    await sign_in(client, services, w.applicant)
    assert (await request_code(client, w.agreement.id, "party", w.applicant_party)).status_code == 200
    assert w.applicant.mobile is not None
    code = await last_sign_code(services, w.applicant.mobile)
    before = await snapshot(services, w)
    for kwargs in ({"version": 2}, {"sha": "0" * 64}):
        r = await post_signature(client, services, w.agreement.id, "party",
                                 party_id=w.applicant_party, code=code, **kwargs)
        assert r.status_code == 409 and r.json()["error"]["code"] == "stale_version", r.text
        assert r.json()["error"]["details"]["version"] == 1
    assert await snapshot(services, w) == before
    # The code was not spent by the refusals: the right version signs with it.
    ok = await post_signature(client, services, w.agreement.id, "party",
                              party_id=w.applicant_party, code=code)
    assert ok.status_code == 201, ok.text


async def test_signing_twice_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    first = await sign_as(client, services, w.applicant, w.agreement.id, "party", w.applicant_party)
    assert first.status_code == 201
    before = await snapshot(services, w)
    again = await post_signature(client, services, w.agreement.id, "party",
                                 party_id=w.applicant_party, code="123456")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_signed"
    assert await snapshot(services, w) == before


async def test_signing_for_the_other_party_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    await sign_in(client, services, w.applicant)
    assert (await request_code(client, w.agreement.id, "party", w.respondent_party)).status_code == 403
    assert (await request_code(client, w.agreement.id, "party", w.applicant_party)).status_code == 200
    assert w.applicant.mobile is not None
    code = await last_sign_code(services, w.applicant.mobile)
    before = await snapshot(services, w)
    r = await post_signature(client, services, w.agreement.id, "party",
                             party_id=w.respondent_party, code=code)
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_your_party"
    # Nor as mediator or seal: the policy refuses first.
    for role in ("mediator", "seal"):
        r = await post_signature(client, services, w.agreement.id, role, code=code)
        assert r.status_code == 403, r.text
    assert await snapshot(services, w) == before


async def test_an_agent_signs_only_with_the_sign_agreement_authority(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    general, _ = await add_agent(services, w.case, w.respondent_party, ["general"])
    await sign_in(client, services, general)
    r = await client.get(f"/api/v1/agreements/{w.agreement.id}/signing")
    assert r.status_code == 200 and r.json()["can_sign_for"] == []
    assert (await request_code(client, w.agreement.id, "party", w.respondent_party)).status_code == 403
    before = await snapshot(services, w)
    refused = await post_signature(client, services, w.agreement.id, "party",
                                   party_id=w.respondent_party, code="123456")
    assert refused.status_code == 403, refused.text
    assert await snapshot(services, w) == before

    special, grant_id = await add_agent(
        services, w.case, w.respondent_party, ["general", "sign_agreement"])
    await sign_in(client, services, special)
    r = await client.get(f"/api/v1/agreements/{w.agreement.id}/signing")
    assert r.json()["can_sign_for"] == [w.respondent_party]
    signed = await sign_as(client, services, special, w.agreement.id, "party", w.respondent_party)
    assert signed.status_code == 201, signed.text
    async with services.db.reader() as uow:
        sig = await uow.session.get(AgreementSignature, signed.json()["id"])
        assert sig is not None
        assert (sig.party_id, sig.signer_user_id, sig.authorization_id) == (
            w.respondent_party, special.id, grant_id)


async def test_a_stale_reauthentication_is_refused_until_the_signer_confirms_again(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    w = await world(services)
    await sign_in(client, services, w.applicant)
    clock.advance(timedelta(seconds=services.settings.agreement_reauth_seconds + 1))
    view = (await client.get(f"/api/v1/agreements/{w.agreement.id}/signing")).json()
    assert view["reauth_fresh"] is False
    assert (await request_code(client, w.agreement.id, "party", w.applicant_party)).status_code == 200
    assert w.applicant.mobile is not None
    code = await last_sign_code(services, w.applicant.mobile)
    before = await snapshot(services, w)
    r = await post_signature(client, services, w.agreement.id, "party",
                             party_id=w.applicant_party, code=code)
    assert r.status_code == 403 and r.json()["error"]["code"] == "reauthentication_required"
    assert await snapshot(services, w) == before
    again = await client.post("/api/v1/auth/reauthenticate", json={"password": "Passw0rd!"})
    assert again.status_code in (200, 204), again.text
    view = (await client.get(f"/api/v1/agreements/{w.agreement.id}/signing")).json()
    assert view["reauth_fresh"] is True
    ok = await post_signature(client, services, w.agreement.id, "party",
                              party_id=w.applicant_party, code=code)
    assert ok.status_code == 201, ok.text


async def test_a_wrong_code_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    await sign_in(client, services, w.applicant)
    assert (await request_code(client, w.agreement.id, "party", w.applicant_party)).status_code == 200
    assert w.applicant.mobile is not None
    code = await last_sign_code(services, w.applicant.mobile)
    wrong = "000000" if code != "000000" else "111111"
    before = await snapshot(services, w)
    r = await post_signature(client, services, w.agreement.id, "party",
                             party_id=w.applicant_party, code=wrong)
    assert r.status_code == 422 and r.json()["error"]["code"] == "code_wrong", r.text
    assert await snapshot(services, w) == before
    # A code issued for another purpose (or none) never signs; the right one still does.
    ok = await post_signature(client, services, w.agreement.id, "party",
                              party_id=w.applicant_party, code=code)
    assert ok.status_code == 201, ok.text


async def test_a_bad_or_blank_drawing_is_refused_without_spending_the_code(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    await sign_in(client, services, w.respondent)
    assert (await request_code(client, w.agreement.id, "party", w.respondent_party)).status_code == 200
    assert w.respondent.mobile is not None
    code = await last_sign_code(services, w.respondent.mobile)
    before = await snapshot(services, w)
    for png, expected in (
        (png_data_url(blank=True), "signature_blank"),
        ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==", "signature_image_invalid"),
        ("data:image/jpeg;base64,AAAA", "signature_image_invalid"),
        (png_data_url(size=(4000, 100)), "signature_image_invalid"),
    ):
        r = await post_signature(client, services, w.agreement.id, "party",
                                 party_id=w.respondent_party, code=code, png=png)
        assert r.status_code == 422 and r.json()["error"]["code"] == expected, r.text
    assert await snapshot(services, w) == before
    ok = await post_signature(client, services, w.agreement.id, "party",
                              party_id=w.respondent_party, code=code)
    assert ok.status_code == 201, ok.text


async def test_the_seal_needs_no_drawing_and_only_this_institutions_admin_applies_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    _courts, institutions = await seeded_orgs(services)
    other = next(i for i in institutions if i != w.institution_id)
    other_admin = await make_user(services, "institution_admin", institution_id=other)
    await sign_in(client, services, other_admin)
    assert (await request_code(client, w.agreement.id, "seal")).status_code == 403
    r = await sign_as(client, services, w.admin, w.agreement.id, "seal")
    assert r.status_code == 201, r.text
    assert r.json()["image_url"] is None and r.json()["role"] == "seal"
    view = (await client.get(f"/api/v1/agreements/{w.agreement.id}/signing")).json()
    assert view["seal_applied"] is True and view["as_seal"] is False


async def test_an_edit_after_a_signature_means_the_old_signature_no_longer_counts(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    w = await world(services)
    signers = _signers(w)
    for name in ("applicant", "respondent", "mediator"):
        user, role, party_id = signers[name]
        clock.advance(timedelta(minutes=2))
        assert (await sign_as(client, services, user, w.agreement.id, role, party_id)).status_code == 201
    # The mediator edits the content: version 2 (drafting's PUT content).
    await sign_in(client, services, w.mediator)
    async with services.db.reader() as uow:
        v1 = (await uow.session.execute(select(AgreementVersion.content).where(
            AgreementVersion.agreement_id == w.agreement.id))).scalar_one()
    edited = await client.put(f"/api/v1/agreements/{w.agreement.id}/content", json={
        "base_version": 1, "content": dict(v1, other_terms="诉讼费用各自承担。"), "note": "费用条款",
    })
    assert edited.status_code == 200, edited.text
    assert await current(services, w.agreement.id) != (1, content_sha256(v1))
    clock.advance(timedelta(minutes=2))
    await sign_in(client, services, w.applicant)
    view = (await client.get(f"/api/v1/agreements/{w.agreement.id}/signing")).json()
    assert view["version"] == 2 and view["signed_party_ids"] == [] and not view["mediator_signed"]
    assert view["can_sign_for"] == [w.applicant_party]
    # The seal alone no longer completes it: v1's signatures do not count for v2.
    sealed = await sign_as(client, services, w.admin, w.agreement.id, "seal")
    assert sealed.status_code == 201 and sealed.json()["effective"] is False
    assert len(sealed.json()["missing"]) == 3
    # A signature voided outright does not count either.
    clock.advance(timedelta(minutes=2))
    applicant = await sign_as(client, services, w.applicant, w.agreement.id, "party",
                              w.applicant_party)
    assert applicant.status_code == 201
    async with services.db.uow() as uow:
        await uow.session.execute(update(AgreementSignature).where(
            AgreementSignature.id == applicant.json()["id"]).values(
            voided_at=clock.now(), void_reason="test"))
    clock.advance(timedelta(minutes=2))
    for name in ("respondent", "mediator"):
        user, role, party_id = signers[name]
        r = await sign_as(client, services, user, w.agreement.id, role, party_id)
        assert r.status_code == 201 and r.json()["effective"] is False
    clock.advance(timedelta(minutes=2))
    done = await sign_as(client, services, w.applicant, w.agreement.id, "party", w.applicant_party)
    assert done.status_code == 201 and done.json()["effective"] is True, done.text
    assert (await snapshot(services, w)).effective_at == clock.now()


async def test_the_effective_transition_commits_with_its_pending_pdf_job(
    client: httpx.AsyncClient, services: Services
) -> None:
    """Crash safety: once effective is committed, the PDF job is committed with it."""
    w = await world(services)
    for user, role, party_id in _signers(w).values():
        r = await sign_as(client, services, user, w.agreement.id, role, party_id)
        assert r.status_code == 201, r.text
    async with services.db.reader() as uow:
        agreement = await uow.session.get(Agreement, w.agreement.id)
        assert agreement is not None
        assert agreement.status == "effective" and agreement.pdf_state == "pending"
        assert agreement.effective_version == 1 and agreement.pdf_document_id is None
        jobs = (await uow.session.execute(select(OutboxMessage).where(
            OutboxMessage.kind == FINISH_PDF_KIND))).scalars().all()
    assert [j.payload for j in jobs] == [{"agreement_id": w.agreement.id}]
    assert jobs[0].status == "pending"


async def test_signing_refused_once_the_case_is_no_longer_in_mediation(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services, status="accepted")
    await sign_in(client, services, w.applicant)
    view = (await client.get(f"/api/v1/agreements/{w.agreement.id}/signing")).json()
    assert view["can_sign_for"] == [] and view["as_mediator"] is False
    r = await post_signature(client, services, w.agreement.id, "party",
                             party_id=w.applicant_party, code="123456")
    assert r.status_code == 403


async def test_the_signing_view_says_what_the_caller_may_sign(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    _n, sha = await current(services, w.agreement.id)
    expected = {
        w.applicant: ([w.applicant_party], False, False),
        w.respondent: ([w.respondent_party], False, False),
        w.mediator: ([], True, False),
        w.admin: ([], False, True),
    }
    for user, (parties, as_mediator, as_seal) in expected.items():
        await sign_in(client, services, user)
        body = (await client.get(f"/api/v1/agreements/{w.agreement.id}/signing")).json()
        assert (body["can_sign_for"], body["as_mediator"], body["as_seal"]) == (
            parties, as_mediator, as_seal), user.role
        assert body["version"] == 1 and body["content_sha256"] == sha
        assert body["reauth_fresh"] is True and body["problems"] == []
    stranger = await make_user(services, "party")
    await sign_in(client, services, stranger)
    assert (await client.get(f"/api/v1/agreements/{w.agreement.id}/signing")).status_code == 403


async def test_content_with_l15_problems_cannot_be_signed_L15(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    async with services.db.uow() as uow:
        version = (await uow.session.execute(select(AgreementVersion).where(
            AgreementVersion.agreement_id == w.agreement.id))).scalars().one()
        content = dict(version.content, facts="")
        version.content = content
        version.content_sha256 = content_sha256(content)
    await sign_in(client, services, w.applicant)
    view = (await client.get(f"/api/v1/agreements/{w.agreement.id}/signing")).json()
    assert [p["field"] for p in view["problems"]] == ["facts"]
    assert (await request_code(client, w.agreement.id, "party", w.applicant_party)).status_code == 200
    assert w.applicant.mobile is not None
    code = await last_sign_code(services, w.applicant.mobile)
    before = await snapshot(services, w)
    r = await post_signature(client, services, w.agreement.id, "party",
                             party_id=w.applicant_party, code=code)
    assert r.status_code == 422 and r.json()["error"]["code"] == "content_problems", r.text
    assert r.json()["error"]["details"][0]["field"] == "facts"
    assert await snapshot(services, w) == before
