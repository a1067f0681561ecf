"""L23 (INT 354, JC 3): the materials of a confirmation application.

The court needs the agreement, proof that the organisation mediated, the
property-right proofs where relevant, each party's identity, domicile and
contact details, and an agent's power of attorney. The platform already holds
most of these (the signed agreement PDF, the sealed record of the mediation,
the parties as filed, the authorization's document): the checklist is
computed from the case each time it is read, and what the parties link
(``ConfirmationApplication.materials["links"]``: slot -> document ids) fills
the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from agreements.confirmation.jurisdiction import SUBJECT_KINDS
from agreements.models import Agreement, ConfirmationApplication, ConfirmationJoin
from odr.cases.models import (
    AgentAuthorization,
    Case,
    CaseDocument,
    CaseParty,
    DocumentKind,
    DocumentVisibility,
)
from odr.db.uow import UnitOfWork
from odr.errors import NotFound, ValidationFailed

LABELS_ZH: dict[str, str] = {
    "agreement": "调解协议",
    "mediation_proof": "调解组织主持调解的证明",
    "identity": "当事人身份、住所、联系方式",
    "power_of_attorney": "代理人授权委托书",
    "property_proof": "与调解协议相关的财产权利证明",
    "other": "其他补充材料",
}

# A linked document's kind says which item it fills unless the party names one.
ITEM_OF_KIND: dict[str, str] = {
    DocumentKind.AGREEMENT: "agreement",
    DocumentKind.IDENTITY: "identity",
    DocumentKind.POWER_OF_ATTORNEY: "power_of_attorney",
}
PER_PARTY = frozenset({"identity", "power_of_attorney"})


@dataclass
class Item:
    key: str
    party_id: int | None
    required: bool
    present: bool
    source: str  # platform | party
    document_ids: list[int] = field(default_factory=list)

    @property
    def slot(self) -> str:
        return self.key if self.party_id is None else f"{self.key}:{self.party_id}"

    @property
    def label_zh(self) -> str:
        return LABELS_ZH[self.key]


@dataclass
class Checklist:
    items: list[Item]

    @property
    def complete(self) -> bool:
        return all(i.present for i in self.items if i.required)


def links_of(application: ConfirmationApplication) -> dict[str, list[int]]:
    raw = (application.materials or {}).get("links") or {}
    return {str(k): [int(v) for v in vs] for k, vs in raw.items()}


def property_related(application: ConfirmationApplication) -> bool:
    kind = SUBJECT_KINDS.get(application.subject_kind)
    return bool(application.property_location) or bool(kind and kind.property_related)


async def checklist(
    uow: UnitOfWork, case: Case, agreement: Agreement, application: ConfirmationApplication
) -> Checklist:
    """The L23 items of ``application`` as of now."""
    s = uow.session
    links = links_of(application)
    parties = (await s.execute(
        select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.side, CaseParty.id)
    )).scalars().all()
    joins = (await s.execute(
        select(ConfirmationJoin).where(ConfirmationJoin.application_id == application.id)
    )).scalars().all()

    def item(key: str, *, platform: list[int] | bool, party_id: int | None = None,
             required: bool = True) -> Item:
        slot = key if party_id is None else f"{key}:{party_id}"
        linked = links.get(slot, [])
        own = platform if isinstance(platform, list) else []
        present = bool(platform) or bool(linked)
        return Item(key, party_id, required, present, "platform" if platform else "party",
                    own + [d for d in linked if d not in own])

    items = [
        item("agreement", platform=[agreement.pdf_document_id] if agreement.pdf_document_id else []),
        # The institution's seal on the effective agreement and the case record show who mediated.
        item("mediation_proof", platform=case.institution_id is not None
             and agreement.effective_at is not None),
    ]
    for party in parties:
        complete = all((party.name, party.id_doc_last4, party.mobile, party.address))
        items.append(item("identity", platform=complete, party_id=party.id))
    for join in joins:
        if join.authorization_id is None:
            continue
        auth = await s.get(AgentAuthorization, join.authorization_id)
        has_document = auth is not None and auth.document_sha256 is not None
        items.append(item("power_of_attorney", platform=has_document, party_id=join.party_id))
    if property_related(application):
        items.append(item("property_proof", platform=False))
    if links.get("other"):
        items.append(item("other", platform=False, required=False))
    return Checklist(items)


def _visible_to_side(document: CaseDocument, sides: set[str]) -> bool:
    if document.confidential or document.visibility == DocumentVisibility.MEDIATOR_ONLY:
        return False  # L11: never sent to a court, never another party's
    return document.visibility == DocumentVisibility.ALL or document.side in sides


async def link_documents(
    uow: UnitOfWork,
    case: Case,
    application: ConfirmationApplication,
    document_ids: list[int],
    *,
    item: str | None,
    party_id: int | None,
    caller_sides: set[str],
) -> list[str]:
    """Link case documents to checklist slots; returns the slots touched.

    A document must belong to the case, be visible to the caller's side and
    not be confidential (L11: concessions and caucus content never reach the
    court).
    """
    if item is not None and item not in LABELS_ZH:
        raise ValidationFailed(f"unknown materials item {item!r}", code="unknown_item",
                               details={"items": sorted(LABELS_ZH)})
    links = links_of(application)
    touched: list[str] = []
    for document_id in dict.fromkeys(document_ids):
        document = await uow.session.get(CaseDocument, document_id)
        if document is None or document.case_id != case.id:
            raise NotFound(f"no document {document_id} in this case")
        if not _visible_to_side(document, caller_sides):
            raise ValidationFailed(
                f"document {document_id} cannot go to the court (confidential or not yours, L11)",
                code="document_not_allowed",
            )
        key = item or ITEM_OF_KIND.get(document.kind) or (
            "property_proof" if property_related(application) else "other")
        if key in PER_PARTY and party_id is None:
            raise ValidationFailed(f"name the party_id the {key} document is for",
                                   code="party_required")
        slot = key if key not in PER_PARTY else f"{key}:{party_id}"
        ids = links.setdefault(slot, [])
        if document_id not in ids:
            ids.append(document_id)
        touched.append(slot)
    application.materials = {**(application.materials or {}), "links": links}
    return list(dict.fromkeys(touched))


def checklist_json(checklist_: Checklist) -> dict[str, Any]:
    return {
        "complete": checklist_.complete,
        "items": [
            {"key": i.key, "label_zh": i.label_zh, "party_id": i.party_id, "required": i.required,
             "present": i.present, "source": i.source, "document_ids": i.document_ids}
            for i in checklist_.items
        ],
    }
