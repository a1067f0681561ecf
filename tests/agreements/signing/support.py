"""A case in mediation with an agreement to sign, and a signer that goes through the real API."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from agreements.models import Agreement, AgreementSignature, AgreementVersion
from odr.accounts.models import User
from odr.cases.models import AgentAuthorization, Case, CaseEvent, CaseParticipant, CaseParty
from odr.notify.messages import NOTIFY_KIND
from odr.outbox.models import OutboxMessage
from odr.services import Services
from tests.factories import make_agreement, make_case, make_user, seeded_orgs, sign_in


def png_data_url(*, blank: bool = False, size: tuple[int, int] = (300, 120)) -> str:
    """A drawn signature: strokes on a transparent canvas (``blank``: nothing drawn)."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if not blank:
        draw = ImageDraw.Draw(image)
        draw.line([(10, 90), (80, 20), (150, 100), (280, 30)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@dataclass
class World:
    case: Any
    agreement: Any
    applicant: User
    respondent: User
    mediator: User
    admin: User  # the institution's admin: applies the seal
    institution_id: int
    applicant_party: int
    respondent_party: int


async def world(services: Services, *, status: str = "in_mediation") -> World:
    _courts, institutions = await seeded_orgs(services)
    inst = institutions[0]
    applicant = await make_user(services, "party")
    respondent = await make_user(services, "party")
    mediator = await make_user(services, "mediator", institution_id=inst)
    admin = await make_user(services, "institution_admin", institution_id=inst)
    case = await make_case(services, applicant=applicant, respondent=respondent, status=status,
                           institution_id=inst, mediator=mediator)
    agreement = await make_agreement(services, case, author=mediator)
    async with services.db.reader() as uow:
        parties = dict((await uow.session.execute(
            select(CaseParty.side, CaseParty.id).where(CaseParty.case_id == case.id)
        )).tuples().all())
    return World(case, agreement, applicant, respondent, mediator, admin, inst,
                 parties["applicant"], parties["respondent"])


async def add_agent(
    services: Services, case: Any, party_id: int, scopes: list[str]
) -> tuple[User, int]:
    """A verified agent of ``party_id`` with an authorization of ``scopes`` valid now."""
    agent = await make_user(services, "agent")
    now = services.clock.now()
    async with services.db.uow() as uow:
        grant = AgentAuthorization(
            case_id=case.id, party_id=party_id, agent_user_id=agent.id, scopes=scopes,
            valid_from=now - timedelta(days=1), created_at=now,
        )
        uow.session.add(grant)
        uow.session.add(CaseParticipant(case_id=case.id, user_id=agent.id, role="agent",
                                        party_id=party_id, created_at=now))
        await uow.session.flush()
        grant_id = grant.id
    return agent, grant_id


async def last_sign_code(services: Services, mobile: str) -> str:
    async with services.db.reader() as uow:
        payloads = (await uow.session.execute(
            select(OutboxMessage.payload).where(OutboxMessage.kind == NOTIFY_KIND)
            .order_by(OutboxMessage.id)
        )).scalars().all()
    sent = [p for p in payloads if p.get("template") == "otp_code" and p["recipient"] == mobile
            and p["context"]["purpose"] == "agreement_sign"]
    assert sent, f"no signing code sent to {mobile}"
    return str(sent[-1]["context"]["code"])


async def current(services: Services, agreement_id: int) -> tuple[int, str]:
    async with services.db.reader() as uow:
        agreement = await uow.session.get(Agreement, agreement_id)
        assert agreement is not None
        sha = (await uow.session.execute(select(AgreementVersion.content_sha256).where(
            AgreementVersion.agreement_id == agreement_id,
            AgreementVersion.number == agreement.current_version,
        ))).scalar_one()
        return agreement.current_version, sha


async def request_code(
    client: httpx.AsyncClient, agreement_id: int, role: str, party_id: int | None = None
) -> httpx.Response:
    return await client.post(f"/api/v1/agreements/{agreement_id}/signing/code",
                             json={"role": role, "party_id": party_id})


async def post_signature(
    client: httpx.AsyncClient, services: Services, agreement_id: int, role: str, *,
    party_id: int | None = None, code: str, version: int | None = None, sha: str | None = None,
    png: str | None = None, device_id: str = "device-1",
) -> httpx.Response:
    number, digest = await current(services, agreement_id)
    body = {
        "role": role, "party_id": party_id, "version": version or number,
        "content_sha256": sha or digest, "code": code, "device_id": device_id,
        "signature_png": png if png is not None else (None if role == "seal" else png_data_url()),
    }
    return await client.post(f"/api/v1/agreements/{agreement_id}/signatures", json=body)


async def sign_as(
    client: httpx.AsyncClient, services: Services, user: User, agreement_id: int, role: str,
    party_id: int | None = None, **kwargs: Any,
) -> httpx.Response:
    """Sign in as ``user``, ask for a code, read it from the SMS, sign: the whole browser flow."""
    await sign_in(client, services, user)
    sent = await request_code(client, agreement_id, role, party_id)
    assert sent.status_code == 200, sent.text
    assert user.mobile is not None
    code = await last_sign_code(services, user.mobile)
    return await post_signature(client, services, agreement_id, role, party_id=party_id,
                                code=code, **kwargs)


@dataclass(frozen=True)
class Snapshot:
    agreement_status: str
    current_version: int
    effective_at: Any
    pdf_state: str
    signatures: int
    signed_events: int
    case_status: str


async def snapshot(services: Services, w: World) -> Snapshot:
    async with services.db.reader() as uow:
        s = uow.session
        agreement = await s.get(Agreement, w.agreement.id)
        case = await s.get(Case, w.case.id)
        assert agreement is not None and case is not None
        signatures = (await s.execute(select(func.count()).select_from(AgreementSignature).where(
            AgreementSignature.agreement_id == agreement.id))).scalar_one()
        events = (await s.execute(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.kind == "agreement_signed"))).scalar_one()
        return Snapshot(agreement.status, agreement.current_version, agreement.effective_at,
                        agreement.pdf_state, signatures, events, case.status)
