"""Cases, invitations and sign-ins the parties tests share."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from odr.accounts.models import User
from odr.accounts.service import DOC_CONTEXT
from odr.cases.intake.notice import current_notice
from odr.cases.lifecycle import CaseEventKind
from odr.cases.models import Case, CaseParty
from odr.cases.transitions import Who, load_case_for_update, transition
from odr.notify.messages import NOTIFY_KIND
from odr.outbox.models import OutboxMessage
from odr.services import Services
from tests.factories import make_case, make_user, resident_id, seeded_orgs, sign_in

_serial = itertools.count(7000)
PARTY_DOC = "case_party.id_doc"


@dataclass
class World:
    """One accepted case: an applicant, an unlinked respondent (by ID number), its staff."""

    case_id: int
    applicant: User
    admin: User  # institution admin of the case's institution
    other_admin: User  # admin of another institution
    respondent_party_id: int
    respondent_doc: str
    respondent_mobile: str


async def add_unlinked_respondent(services: Services, case_id: int, doc: str | None = None,
                                  name: str = "被申请人王五") -> tuple[int, str, str]:
    """A respondent party named by the filing, with no account linked yet."""
    n = next(_serial)
    doc = doc or resident_id(n)
    mobile = f"138{n:08d}"
    async with services.db.uow() as uow:
        party = CaseParty(
            case_id=case_id, side="respondent", kind="person", name=name,
            id_doc_type="resident_id",
            id_doc_number_enc=services.crypto.encrypt(doc, context=PARTY_DOC),
            id_doc_lookup=services.crypto.lookup_hash(doc, context=PARTY_DOC),
            id_doc_last4=doc[-4:], mobile=mobile, address="上海市", created_at=services.clock.now(),
        )
        uow.session.add(party)
        await uow.session.flush()
        return party.id, doc, mobile


async def accept(services: Services, case_id: int, by: User) -> None:
    """Move a submitted case through ``ACCEPT`` (the hooks run: invitations go out)."""
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, case_id)
        await transition(uow, services, case, CaseEventKind.ACCEPT,
                         Who(user_id=by.id, label=f"{by.role}#{by.id}"))


async def accepted_world(services: Services, *, respondent: User | None = None,
                         accept_now: bool = True) -> World:
    _courts, institutions = await seeded_orgs(services)
    admin = await make_user(services, "institution_admin", institution_id=institutions[0])
    other_admin = await make_user(services, "institution_admin", institution_id=institutions[1])
    applicant = await make_user(services, "party")
    case = await make_case(services, applicant=applicant, respondent=respondent,
                           status="under_review", institution_id=institutions[0])
    if respondent is None:
        party_id, doc, mobile = await add_unlinked_respondent(services, case.id)
    else:
        async with services.db.reader() as uow:
            party = (await uow.session.execute(select(CaseParty).where(
                CaseParty.case_id == case.id, CaseParty.side == "respondent"))).scalar_one()
        assert respondent.id_doc_number_enc is not None
        party_id, mobile = party.id, party.mobile
        doc = services.crypto.decrypt(respondent.id_doc_number_enc, context=DOC_CONTEXT)
    if accept_now:
        await accept(services, case.id, admin)
    return World(case.id, applicant, admin, other_admin, party_id, doc, mobile)


async def user_with_doc(services: Services, doc: str, role: str = "party", **kw: Any) -> User:
    return await make_user(
        services, role,
        id_doc_number_enc=services.crypto.encrypt(doc, context=DOC_CONTEXT),
        id_doc_lookup=services.crypto.lookup_hash(doc, context=DOC_CONTEXT),
        id_doc_last4=doc[-4:], **kw,
    )


async def sms_messages(services: Services, template: str) -> list[dict[str, Any]]:
    async with services.db.reader() as uow:
        rows = (await uow.session.execute(
            select(OutboxMessage.payload).where(OutboxMessage.kind == NOTIFY_KIND)
            .order_by(OutboxMessage.id)
        )).scalars().all()
    return [p for p in rows if p.get("template") == template]


async def invitation_token(services: Services, mobile: str) -> str:
    """The token of the link the SMS to ``mobile`` carries (the database keeps only its hash)."""
    sent = [m for m in await sms_messages(services, "respondent_invitation")
            if m["recipient"] == mobile]
    assert len(sent) == 1, sent
    link: str = sent[0]["context"]["link"]
    assert link.startswith(services.settings.public_base_url + "/respond/")
    return link.rsplit("/", 1)[1]


async def load_case(services: Services, case_id: int) -> Case:
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, case_id)
        assert case is not None
        return case


async def as_user(client: httpx.AsyncClient, services: Services, user: User) -> httpx.AsyncClient:
    client.cookies.clear()
    await sign_in(client, services, user)
    return client


def answer_body(decision: str, **kw: Any) -> dict[str, Any]:
    return {"decision": decision, "notice_version": current_notice().version, **kw}
