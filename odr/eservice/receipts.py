"""The service receipt (送达回证): the electronic certificate of one service record (L34, OLR 31).

A receipt shows the case, the document with its SHA-256, the recipient (name and
masked identity document), the address used, the record's sent, delivered,
opened and completed times in Asia/Shanghai, the completion basis, the
service's completion (the earliest valid channel) and the whole trail.

It is rendered with reportlab and an embedded TrueType CJK font, off the event
loop. ``GET /service-records/{id}/receipt`` renders it on demand; when a service
completes (or its completion moves earlier) the outbox handler ``eservice.receipt``
keeps the receipt of the completing record as a ``CaseDocument`` of kind
``service_receipt`` (a new version in the same lineage when it changes).
"""

from __future__ import annotations

import asyncio
import functools
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.accounts.models import User
from odr.audit.chain import record as audit
from odr.cases.models import Case, CaseDocument, CaseParty, DocumentKind, DocumentVisibility
from odr.clock import to_local
from odr.errors import NotFound
from odr.eservice.models import DocumentService, ServiceRecord
from odr.outbox.handlers import register_handler
from odr.outbox.models import OutboxMessage
from odr.services import Services
from odr.storage.models import StoredBlob

RECEIPT_KIND = "eservice.receipt"
FONT = "WenQuanYiZenHei"

CHANNEL_ZH = {"sms": "短信", "email": "电子邮件", "inapp": "平台站内信"}
BASIS_ZH = {
    "confirmed": "受送达人确认的送达地址（送达地址确认书）",
    "presumed_from_filing": "受送达人在申请中主动提供的电子地址",
    "presumed_from_prior_service": "受送达人曾接受电子送达且未表示不同意",
    "reached_confirmed_address": "送达信息到达受送达人确认的电子地址",
    "opened_by_recipient": "受送达人登录后查阅送达内容",
}
ID_LENGTH = {"resident_id": 18}


@dataclass(frozen=True)
class TrailLine:
    record_id: int
    channel: str
    address: str
    confirmed: bool
    sent_at: datetime | None
    delivered_at: datetime | None
    opened_at: datetime | None
    completed_at: datetime | None
    completion_basis: str | None


@dataclass(frozen=True)
class ReceiptData:
    case_number: str
    case_title: str
    document_title: str
    document_kind: str
    document_sha256: str
    recipient_name: str
    recipient_id_masked: str
    consent_basis: str
    served_at: datetime
    served_by: str
    record: TrailLine
    completed_at: datetime | None
    completion_basis: str | None
    completed_channel: str | None
    trail: tuple[TrailLine, ...]


def mask_id(doc_type: str, last4: str) -> str:
    return "*" * (ID_LENGTH.get(doc_type, 18) - len(last4)) + last4


def local_text(moment: datetime | None) -> str:
    return to_local(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def _line(r: ServiceRecord) -> TrailLine:
    return TrailLine(
        r.id, r.channel, r.address, r.address_confirmed, r.sent_at, r.delivered_at,
        r.opened_at, r.completed_at, r.completion_basis,
    )


async def receipt_data(session: AsyncSession, record_id: int) -> ReceiptData:
    record = await session.get(ServiceRecord, record_id)
    if record is None:
        raise NotFound("no such service record")
    service = await session.get(DocumentService, record.service_id)
    case = await session.get(Case, record.case_id)
    party = await session.get(CaseParty, record.party_id)
    assert service is not None and case is not None and party is not None
    document = await session.get(CaseDocument, service.document_id)
    assert document is not None
    server = await session.get(User, service.served_by_id) if service.served_by_id else None
    trail = tuple(_line(r) for r in (await session.execute(
        select(ServiceRecord).where(ServiceRecord.service_id == service.id).order_by(ServiceRecord.id)
    )).scalars())
    completing = next((t for t in trail if t.record_id == service.completed_record_id), None)
    return ReceiptData(
        case_number=case.number, case_title=case.title, document_title=document.title,
        document_kind=document.kind, document_sha256=document.blob_sha256,
        recipient_name=party.name, recipient_id_masked=mask_id(party.id_doc_type, party.id_doc_last4),
        consent_basis=service.consent_basis, served_at=service.served_at,
        served_by=server.real_name if server else "—", record=_line(record),
        completed_at=service.completed_at, completion_basis=service.completion_basis,
        completed_channel=completing.channel if completing else None, trail=trail,
    )


@functools.cache
def _register_font(path: Path) -> str:
    pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
    return FONT


def render_receipt(data: ReceiptData, font_path: Path) -> bytes:
    """The receipt as PDF bytes (deterministic for the same data). Blocking: run in a thread."""
    font = _register_font(font_path)
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=10)

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(text.replace("&", "&amp;").replace("<", "&lt;"), style)

    rec = data.record
    rows = [
        ("案号 Case number", data.case_number),
        ("案件 Case", data.case_title),
        ("送达文书 Document", f"{data.document_title}（{data.document_kind}）"),
        ("文书 SHA-256", data.document_sha256),
        ("受送达人 Recipient", data.recipient_name),
        ("证件号码 ID number", data.recipient_id_masked),
        ("同意电子送达依据 Consent", BASIS_ZH.get(data.consent_basis, data.consent_basis)),
        ("送达人 Served by", f"{data.served_by}（{local_text(data.served_at)}）"),
        ("送达方式 Channel", CHANNEL_ZH.get(rec.channel, rec.channel)),
        ("送达地址 Address used", rec.address + ("（已确认）" if rec.confirmed else "（未确认）")),
        ("发送时间 Sent", local_text(rec.sent_at)),
        ("到达时间 Delivered", local_text(rec.delivered_at)),
        ("查阅时间 Opened", local_text(rec.opened_at)),
        ("完成时间 Completed", local_text(rec.completed_at)),
        ("完成依据 Basis", BASIS_ZH.get(rec.completion_basis or "", "尚未完成")),
        ("送达生效时间 Service effective", local_text(data.completed_at) + (
            f"（{CHANNEL_ZH.get(data.completed_channel or '', '')}，以最先完成的有效送达为准）"
            if data.completed_at else "（尚未完成）"
        )),
    ]
    details = Table(
        [[p(label), p(value, small if label.startswith("文书 SHA") else body)] for label, value in rows],
        colWidths=[48 * mm, 122 * mm],
    )
    grid = TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
    ])
    details.setStyle(grid)
    head = ["方式", "地址", "发送", "到达", "查阅", "完成"]
    trail = Table(
        [[p(h, small) for h in head]] + [
            [p(CHANNEL_ZH.get(t.channel, t.channel), small), p(t.address, small),
             p(local_text(t.sent_at), small), p(local_text(t.delivered_at), small),
             p(local_text(t.opened_at), small), p(local_text(t.completed_at), small)]
            for t in data.trail
        ],
        colWidths=[20 * mm, 40 * mm, 27.5 * mm, 27.5 * mm, 27.5 * mm, 27.5 * mm],
    )
    trail.setStyle(grid)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
        bottomMargin=18 * mm, title=f"送达回证 {data.case_number}", author="odr", invariant=True,
    )
    doc.build([
        p("送达回证（电子送达凭证）", title),
        p("Service receipt — electronic service certificate", ParagraphStyle(
            "sub", parent=body, alignment=1)),
        Spacer(1, 6 * mm), details, Spacer(1, 6 * mm),
        p("送达记录（全程留痕）Trail — 时间均为北京时间 (Asia/Shanghai)"), Spacer(1, 2 * mm), trail,
        Spacer(1, 6 * mm),
        p("本凭证由在线调解平台依据《人民法院在线诉讼规则》第三十一条生成，具有送达回证效力。", small),
    ])
    return buffer.getvalue()


async def receipt_pdf(services: Services, record_id: int) -> bytes:
    async with services.db.reader() as uow:
        data = await receipt_data(uow.session, record_id)
    return await asyncio.to_thread(render_receipt, data, services.settings.pdf_cjk_font_path)


async def store_receipt(services: Services, message: OutboxMessage) -> None:
    """Outbox handler ``eservice.receipt``: keep the receipt of a completed service as a document."""
    service_id = int(message.payload["service_id"])
    async with services.db.reader() as uow:
        service = await uow.session.get(DocumentService, service_id)
        if service is None or service.completed_record_id is None:
            return
        if service.receipt_completed_at == service.completed_at:
            return
        data = await receipt_data(uow.session, service.completed_record_id)
    pdf = await asyncio.to_thread(render_receipt, data, services.settings.pdf_cjk_font_path)
    blob = await services.storage.put_bytes(pdf)
    now = services.clock.now()
    async with services.db.uow() as uow:
        service = (await uow.session.execute(
            select(DocumentService).where(DocumentService.id == service_id).with_for_update()
        )).scalar_one()
        if service.receipt_completed_at == data.completed_at:
            return
        if await uow.session.get(StoredBlob, blob.sha256) is None:
            uow.session.add(StoredBlob(
                sha256=blob.sha256, size=blob.size, content_type="application/pdf", created_at=now,
            ))
            await uow.session.flush()  # no ORM relationship orders the blob before the document
        party = await uow.session.get(CaseParty, service.party_id)
        assert party is not None
        previous = (
            await uow.session.get(CaseDocument, service.receipt_document_id)
            if service.receipt_document_id else None
        )
        document = CaseDocument(
            case_id=service.case_id,
            lineage_id=previous.lineage_id if previous else None,
            version=previous.version + 1 if previous else 1,
            kind=DocumentKind.SERVICE_RECEIPT,
            title=f"送达回证：{data.document_title}（{data.recipient_name}）",
            filename=f"service-receipt-{service.id}.pdf", blob_sha256=blob.sha256,
            content_type="application/pdf", size=blob.size,
            visibility=DocumentVisibility.OWN_SIDE, side=party.side, created_at=now,
        )
        uow.session.add(document)
        await uow.session.flush()
        if document.lineage_id is None:
            document.lineage_id = document.id
        service.receipt_document_id = document.id
        service.receipt_completed_at = data.completed_at
        await audit(
            uow, services.clock, action="eservice.receipt_stored", actor_label="system",
            subject_type="document_service", subject_id=service.id,
            data={"case_id": service.case_id, "document_id": document.id,
                  "version": document.version, "sha256": blob.sha256},
        )


register_handler(RECEIPT_KIND, store_receipt)
