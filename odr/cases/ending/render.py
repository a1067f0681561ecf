"""The transfer package's summary PDF (reportlab, embedded CJK TrueType font). Pure: facts in, bytes out."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape

from odr.cases.documents.fonts import register_cjk_font
from odr.cases.ending.labels import (
    CATEGORY_ZH,
    CHANNEL_ZH,
    DOCUMENT_KIND_ZH,
    GROUND_ZH,
    PARTY_KIND_ZH,
    SIDE_ZH,
)
from odr.clock import to_local


@dataclass(frozen=True)
class Material:
    document_id: int
    title: str
    kind: str
    filename: str
    version: int
    size: int
    sha256: str
    side: str | None
    content_type: str
    created_at: datetime


@dataclass(frozen=True)
class PartyFacts:
    side: str
    kind: str
    name: str
    id_last4: str
    mobile: str
    address: str
    legal_representative: str | None = None


@dataclass(frozen=True)
class SessionFacts:
    at: datetime
    kind: str
    summary: str


@dataclass
class PackageFacts:
    number: str
    title: str
    category: str
    channel: str
    procedure: str | None
    court_case_number: str | None
    claim_amount_fen: int
    claims: str
    facts: str
    court_name: str | None
    institution_name: str | None
    mediator_name: str | None
    submitted_at: datetime | None
    accepted_at: datetime | None
    mediation_started_at: datetime | None
    closed_at: datetime | None
    ground: str
    reasons: str
    cost_conduct: str | None
    consequence: str
    parties: list[PartyFacts] = field(default_factory=list)
    sessions: list[SessionFacts] = field(default_factory=list)
    included: list[Material] = field(default_factory=list)
    excluded_count: int = 0


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d} 元"


def when(moment: datetime | None) -> str:
    return f"{to_local(moment):%Y-%m-%d %H:%M}" if moment else "—"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(n, 1) / 1024:.1f} KB"


def render_transfer_pdf(facts: PackageFacts, generated_at: datetime) -> bytes:
    """The summary: application, parties, record, failure ground and reasons, list of materials."""
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
        table = Table(rows, colWidths=widths, repeatRows=1 if len(rows) > 1 else 0)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
        ]))
        return table

    story: list[object] = [
        p("调解不成案件移交材料", title),
        p(f"案号：{facts.number}　　{facts.consequence}", small),
        Spacer(1, 4 * mm),
        p("一、案件基本情况", heading),
        grid([[p(k), p(v)] for k, v in (
            ("案件名称", facts.title),
            ("纠纷类型", CATEGORY_ZH.get(facts.category, facts.category)),
            ("案件来源", CHANNEL_ZH.get(facts.channel, facts.channel)),
            ("法院", facts.court_name),
            ("法院案号", facts.court_case_number),
            ("调解组织", facts.institution_name),
            ("调解员", facts.mediator_name),
            ("申请时间", when(facts.submitted_at)),
            ("受理时间", when(facts.accepted_at)),
            ("调解开始", when(facts.mediation_started_at)),
            ("调解终结", when(facts.closed_at)),
        )], [32 * mm, 138 * mm]),
        p("二、申请概要", heading),
        grid([
            [p("请求金额"), p(yuan(facts.claim_amount_fen))],
            [p("请求事项"), p(facts.claims)],
            [p("事实与理由"), p(facts.facts)],
        ], [32 * mm, 138 * mm]),
        p("三、当事人", heading),
        grid(
            [[p("身份", small), p("名称/姓名", small), p("类型", small), p("证件尾号", small),
              p("联系电话", small), p("住所/地址", small)]]
            + [[p(SIDE_ZH.get(x.side, x.side), small), p(x.name + (f"（法定代表人：{x.legal_representative}）" if x.legal_representative else ""), small),
                p(PARTY_KIND_ZH.get(x.kind, x.kind), small), p(f"****{x.id_last4}", small),
                p(x.mobile, small), p(x.address, small)] for x in facts.parties],
            [20 * mm, 36 * mm, 24 * mm, 18 * mm, 26 * mm, 46 * mm],
        ),
        p("四、调解经过", heading),
    ]
    if facts.sessions:
        story.append(grid(
            [[p("时间", small), p("事项", small)]]
            + [[p(when(s.at), small), p(f"{s.kind} {s.summary}".strip(), small)] for s in facts.sessions],
            [40 * mm, 130 * mm],
        ))
    else:
        story.append(p("截至移交时尚无调解会议记录。"))
    story += [
        p("五、调解不成的事由", heading),
        grid([
            [p("终结事由"), p(GROUND_ZH.get(facts.ground, facts.ground))],
            [p("具体理由"), p(facts.reasons)],
            [p("增加调解成本的行为"), p(facts.cost_conduct or "无")],
        ], [40 * mm, 130 * mm]),
        p("六、移交材料清单", heading),
    ]
    if facts.included:
        story.append(grid(
            [[p("序号", small), p("材料名称", small), p("类别", small), p("文件名", small),
              p("版本", small), p("大小", small), p("SHA-256（前16位）", small)]]
            + [[p(str(i), small), p(m.title, small), p(DOCUMENT_KIND_ZH.get(m.kind, m.kind), small),
                p(m.filename, small), p(str(m.version), small), p(_size(m.size), small),
                p(m.sha256[:16], small)] for i, m in enumerate(facts.included, 1)],
            [10 * mm, 38 * mm, 20 * mm, 42 * mm, 10 * mm, 20 * mm, 30 * mm],
        ))
    else:
        story.append(p("无随附材料。"))
    story.append(Spacer(1, 3 * mm))
    story.append(p(
        "依照调解保密规则，背靠背调解内容、当事人为达成调解协议作出的让步以及仅供调解员查阅的材料"
        f"不予移交（共 {facts.excluded_count} 份）。", small,
    ))

    stamp = f"生成时间：{when(generated_at)}（北京时间）"

    def footer(canvas: object, doc: object) -> None:
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont(font, 8)  # type: ignore[attr-defined]
        canvas.drawString(20 * mm, 10 * mm, f"{facts.number}　{stamp}")  # type: ignore[attr-defined]
        canvas.drawRightString(190 * mm, 10 * mm, f"第 {doc.page} 页")  # type: ignore[attr-defined]
        canvas.restoreState()  # type: ignore[attr-defined]

    buf = io.BytesIO()
    document = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
        bottomMargin=18 * mm, title=f"{facts.number} 移交材料", author="odr",
    )
    document.build(story, onFirstPage=footer, onLaterPages=footer)  # type: ignore[arg-type]
    return buf.getvalue()
