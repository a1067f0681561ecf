"""The joint application for judicial confirmation (司法确认申请书) as a PDF.

Rendered when the last party joins (L20): the court, the parties' identity,
domicile and contact details, the agreement it concerns, the joins, and the
L23 materials list. ``render_application`` is pure (reportlab, embedded CJK
TrueType font; CPU work, so it runs in a thread); ``store_application_pdf``
gathers the facts (identity numbers are decrypted here only, each decryption
audited), signs the file with the institution's key when the case has one
(``agreements.pdf.sign``), and stores it as a case document.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from sqlalchemy import select

from agreements.confirmation.jurisdiction import BASIS_ZH, SUBJECT_KINDS
from agreements.confirmation.materials import Checklist
from agreements.models import Agreement, ConfirmationApplication, ConfirmationJoin
from odr.accounts.models import User
from odr.audit.chain import record
from odr.cases.documents.fonts import register_cjk_font
from odr.cases.documents.service import add_document
from odr.cases.ending.labels import PARTY_KIND_ZH, SIDE_ZH
from odr.cases.models import Case, CaseDocument, CaseParty, DocumentKind
from odr.cases.transitions import Who
from odr.clock import to_local
from odr.db.uow import UnitOfWork
from odr.orgs.models import Court, Institution

if TYPE_CHECKING:
    from odr.services import Services

ID_CONTEXT = "case_party.id_doc"


@dataclass(frozen=True)
class PartyLine:
    side: str
    kind: str
    name: str
    id_doc_type: str
    id_number: str
    address: str
    mobile: str
    legal_representative: str = ""


@dataclass(frozen=True)
class JoinLine:
    name: str  # the party
    by: str  # "本人" or the agent
    at: datetime


@dataclass
class ApplicationPdfData:
    application_id: int
    case_number: str
    court_name: str
    basis: str
    subject_kind: str
    property_location: str
    institution_name: str
    agreement_code: str
    agreement_version: int | None
    agreement_effective_at: datetime | None
    agreement_sha256: str | None
    applied_at: datetime
    parties: list[PartyLine] = field(default_factory=list)
    joins: list[JoinLine] = field(default_factory=list)
    materials: list[tuple[str, bool]] = field(default_factory=list)


def _when(moment: datetime | None) -> str:
    return f"{to_local(moment):%Y-%m-%d %H:%M}" if moment else "—"


def render_application(data: ApplicationPdfData) -> bytes:
    """The application as an A4 PDF with page numbers; text stays extractable."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = register_cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=11)
    heading = ParagraphStyle("heading", parent=body, fontSize=12, leading=20, spaceBefore=8)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=24, alignment=1)

    def p(text: str | None, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text or "—").replace("\n", "<br/>"), style)

    def grid(rows: list[list[Paragraph]], widths: list[float]) -> Table:
        table = Table(rows, colWidths=widths)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        return table

    kind = SUBJECT_KINDS.get(data.subject_kind)
    story: list[object] = [
        p("司法确认申请书", title),
        p(f"案号：{data.case_number}　　申请编号：{data.application_id}", small),
        Spacer(1, 4 * mm),
        p(f"{data.court_name}：", heading),
        p("申请人双方经调解组织主持调解达成调解协议，现依照《中华人民共和国民事诉讼法》第二百零五条、"
          "《中华人民共和国人民调解法》第三十三条的规定，共同申请人民法院确认该调解协议有效。"),
        p("一、申请人", heading),
    ]
    for i, x in enumerate(data.parties, 1):
        rows = [
            ("身份", f"{SIDE_ZH.get(x.side, x.side)}（{PARTY_KIND_ZH.get(x.kind, x.kind)}）"),
            ("姓名/名称", x.name),
            ("证件", f"{x.id_doc_type} {x.id_number}"),
            ("住所", x.address),
            ("联系电话", x.mobile),
        ]
        if x.legal_representative:
            rows.append(("法定代表人", x.legal_representative))
        story += [p(f"申请人{i}", small), grid([[p(k), p(v)] for k, v in rows], [32 * mm, 134 * mm]),
                  Spacer(1, 2 * mm)]
    story += [
        p("二、请求事项", heading),
        p("确认申请人之间达成的调解协议有效。"),
        p("三、调解协议", heading),
        grid([[p(k), p(v)] for k, v in (
            ("调解组织", data.institution_name),
            ("协议核验码", data.agreement_code),
            ("协议版本", str(data.agreement_version or "—")),
            ("生效时间", _when(data.agreement_effective_at)),
            ("协议文件 SHA-256", data.agreement_sha256 or "—"),
            ("协议内容类型", kind.label_zh if kind else data.subject_kind),
            ("标的物所在地", data.property_location or "—"),
            ("管辖依据", BASIS_ZH.get(data.basis, data.basis)),
        )], [32 * mm, 134 * mm]),
        p("四、共同申请", heading),
        grid([[p("当事人", small), p("申请方式", small), p("时间（北京时间）", small)]]
             + [[p(j.name, small), p(j.by, small), p(_when(j.at), small)] for j in data.joins],
             [56 * mm, 56 * mm, 54 * mm]),
        p("五、提交材料清单", heading),
        grid([[p("序号", small), p("材料", small), p("状态", small)]]
             + [[p(str(i), small), p(label, small), p("已提交" if present else "待补交", small)]
                for i, (label, present) in enumerate(data.materials, 1)],
             [14 * mm, 110 * mm, 42 * mm]),
        Spacer(1, 4 * mm),
        p("申请人承诺：出于解决纠纷的目的申请司法确认，调解协议内容真实、合法，不损害国家利益、"
          "社会公共利益和他人合法权益，否则愿意承担相应的法律责任。"),
        p(f"申请时间：{_when(data.applied_at)}（北京时间）", small),
    ]

    def footer(canvas: object, doc: object) -> None:
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont(font, 8)  # type: ignore[attr-defined]
        canvas.drawString(20 * mm, 10 * mm, f"{data.case_number}　司法确认申请书")  # type: ignore[attr-defined]
        canvas.drawRightString(190 * mm, 10 * mm, f"第 {doc.page} 页")  # type: ignore[attr-defined]
        canvas.restoreState()  # type: ignore[attr-defined]

    buf = io.BytesIO()
    document = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
        bottomMargin=18 * mm, title=f"{data.case_number} 司法确认申请书", author="odr",
        invariant=True,
    )
    document.build(story, onFirstPage=footer, onLaterPages=footer)  # type: ignore[arg-type]
    return buf.getvalue()


async def application_pdf_data(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    agreement: Agreement,
    application: ConfirmationApplication,
    checklist: Checklist,
    who: Who,
) -> ApplicationPdfData:
    """The facts of the PDF; each identity number decrypted is an audit entry."""
    s = uow.session
    court = await s.get(Court, application.court_id)
    institution = await s.get(Institution, case.institution_id) if case.institution_id else None
    parties = (await s.execute(
        select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.side, CaseParty.id)
    )).scalars().all()
    names = {p.id: p.name for p in parties}
    lines = []
    for party in parties:
        number = services.crypto.decrypt(party.id_doc_number_enc, context=ID_CONTEXT)
        await record(
            uow, services.clock, action="case_party.id_doc.decrypt", actor_id=who.user_id,
            actor_label=who.label, subject_type="case_party", subject_id=party.id,
            data={"case_id": case.id, "purpose": "confirmation_application",
                  "application_id": application.id},
        )
        lines.append(PartyLine(party.side, party.kind, party.name, party.id_doc_type, number,
                               party.address, party.mobile, party.legal_representative or ""))
    joins = (await s.execute(
        select(ConfirmationJoin).where(ConfirmationJoin.application_id == application.id)
        .order_by(ConfirmationJoin.joined_at, ConfirmationJoin.id)
    )).scalars().all()
    join_lines = []
    for join in joins:
        by = "本人"
        if join.authorization_id is not None:
            agent = await s.get(User, join.user_id)
            by = f"委托代理人 {agent.real_name if agent else join.user_id}"
        join_lines.append(JoinLine(names.get(join.party_id, str(join.party_id)), by, join.joined_at))
    return ApplicationPdfData(
        application_id=application.id, case_number=case.number,
        court_name=court.name_zh if court else "", basis=application.competence_basis,
        subject_kind=application.subject_kind, property_location=application.property_location,
        institution_name=institution.name_zh if institution else "",
        agreement_code=agreement.verification_code, agreement_version=agreement.effective_version,
        agreement_effective_at=agreement.effective_at, agreement_sha256=agreement.pdf_sha256,
        applied_at=application.applied_at or services.clock.now(), parties=lines, joins=join_lines,
        materials=[(i.label_zh + (f"（{names.get(i.party_id, '')}）" if i.party_id else ""), i.present)
                   for i in checklist.items],
    )


async def store_application_pdf(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    agreement: Agreement,
    application: ConfirmationApplication,
    checklist: Checklist,
    who: Who,
) -> CaseDocument:
    """Render, sign (institution's key, when the case has an institution) and store the PDF."""
    data = await application_pdf_data(uow, services, case, agreement, application, checklist, who)
    pdf = await asyncio.to_thread(render_application, data)
    signed = False
    if case.institution_id is not None:
        from agreements.pdf.sign import sign_pdf
        from agreements.pki.signers import signer_for_institution

        signer = await signer_for_institution(services, case.institution_id, session=uow.session)
        pdf = await sign_pdf(services, pdf, signer, reason="司法确认申请书", location=data.court_name)
        signed = True
    document = await add_document(
        uow, services, case, title="司法确认申请书", kind=DocumentKind.APPLICATION,
        filename=f"confirmation-application-{application.id}.pdf", data=pdf,
        content_type="application/pdf", who=None,
    )
    application.application_document_id = document.id
    await record(
        uow, services.clock, action="confirmation.application_pdf", actor_id=who.user_id,
        actor_label=who.label, subject_type="confirmation_application", subject_id=application.id,
        data={"case_id": case.id, "document_id": document.id, "signed": signed},
    )
    return document
