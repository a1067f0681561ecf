"""The court's documents on a returned agreement (L37): the mediation statement (民事调解书)
and the ruling allowing the plaintiff's withdrawal (民事裁定书).

Pure rendering: ``render_court_document(data, font_path) -> bytes`` (reportlab,
A4, the embedded CJK TrueType font as a subset, page numbers, the outcome code
for verification). Blocking: call it in a thread. The court's digital
signature is applied afterwards (``agreements.filing.service``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from odr.cases.documents import fonts


class CourtDocumentKind(StrEnum):
    STATEMENT = "statement"  # 民事调解书: the court's review of the returned agreement
    WITHDRAWAL = "withdrawal"  # 民事裁定书: the plaintiff's withdrawal allowed


@dataclass(frozen=True)
class PartyLine:
    side: str  # applicant (plaintiff) | respondent (defendant)
    name: str
    id_masked: str = ""
    address: str = ""
    agent_name: str = ""


@dataclass(frozen=True)
class TermLine:
    text: str
    amount_fen: int | None = None
    manner: str = ""
    due_on: date | None = None


@dataclass(frozen=True)
class CourtDocumentData:
    kind: CourtDocumentKind
    court_name: str
    case_number: str
    case_title: str
    institution_name: str
    mediator_name: str
    parties: list[PartyLine]
    terms: list[TermLine] = field(default_factory=list)
    other_terms: str = ""
    facts: str = ""
    text: str = ""  # the judge's review text, or the withdrawal's reason
    outcome_code: str = ""  # printed for verification
    issued_on: date | None = None
    judge_name: str = ""
    agreement_code: str = ""  # the agreement's verification code
    verify_url: str = ""


SIDE_ZH = {"applicant": "原告（申请人）", "respondent": "被告（被申请人）"}
TITLE_ZH = {CourtDocumentKind.STATEMENT: "民事调解书", CourtDocumentKind.WITHDRAWAL: "民事裁定书"}


def yuan(fen: int) -> str:
    """Integer fen as 人民币 text: 1000000 -> '10,000.00'."""
    return f"{fen // 100:,}.{fen % 100:02d}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")


def _date_zh(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def _term_text(n: int, term: TermLine) -> str:
    parts = [f"{n}. {term.text}"]
    if term.amount_fen is not None:
        parts.append(f"金额：人民币{yuan(term.amount_fen)}元")
    if term.manner:
        parts.append(f"履行方式：{term.manner}")
    if term.due_on is not None:
        parts.append(f"履行期限：{_date_zh(term.due_on)}前（{term.due_on.isoformat()}）")
    return "；".join(parts) + "。"


def _body(data: CourtDocumentData) -> list[str]:
    """The paragraphs between the parties and the signature block."""
    if data.kind == CourtDocumentKind.STATEMENT:
        lines = [
            f"本院受理的{data.case_title}一案，经本院委托{data.institution_name or '调解组织'}"
            f"（调解员{data.mediator_name or '—'}）调解，双方当事人自愿达成如下协议：",
            *(_term_text(i, t) for i, t in enumerate(data.terms, 1)),
        ]
        if data.other_terms:
            lines.append(data.other_terms)
        if data.text:
            lines.append(data.text)
        lines.append("上述协议，不违反法律规定，本院予以确认。")
        lines.append("本调解书经双方当事人签收后，即具有法律效力。")
        return lines
    return [
        f"本院受理的{data.case_title}一案，经本院委托{data.institution_name or '调解组织'}调解，"
        "双方当事人达成调解协议，原告向本院申请撤回起诉。",
        f"理由：{data.text}" if data.text else "",
        "本院认为，原告撤诉的申请不违反法律规定。依照《中华人民共和国民事诉讼法》第一百四十八条、"
        "第一百五十七条第一款第五项的规定，裁定如下：",
        "准许原告撤回起诉。",
        "本裁定立即发生法律效力。",
    ]


def render_court_document(data: CourtDocumentData, font_path: Path | None = None) -> bytes:
    """The document as PDF bytes (deterministic for the same data). Blocking: run in a thread."""
    font = _font(font_path)
    title = ParagraphStyle("title", fontName=font, fontSize=20, leading=28, alignment=1)
    sub = ParagraphStyle("sub", fontName=font, fontSize=11, leading=16, alignment=2)
    body = ParagraphStyle("body", fontName=font, fontSize=11.5, leading=20, wordWrap="CJK",
                          firstLineIndent=23)
    plain = ParagraphStyle("plain", parent=body, firstLineIndent=0)
    right = ParagraphStyle("right", parent=plain, alignment=2)
    small = ParagraphStyle("small", parent=plain, fontSize=8, leading=11)

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(_escape(text), style)

    story: list[Any] = [
        p(data.court_name, title), p(TITLE_ZH[data.kind], title), Spacer(1, 3 * mm),
        p(f"（{data.case_number}）", sub), Spacer(1, 5 * mm),
    ]
    for party in data.parties:
        facts = "，".join(x for x in (
            party.name, f"证件号码{party.id_masked}" if party.id_masked else "",
            f"住所地{party.address}" if party.address else "",
        ) if x)
        story.append(p(f"{SIDE_ZH.get(party.side, party.side)}：{facts}。", plain))
        if party.agent_name:
            story.append(p(f"委托诉讼代理人：{party.agent_name}。", plain))
    story.append(Spacer(1, 4 * mm))
    story += [p(line) for line in _body(data) if line]
    story += [
        Spacer(1, 10 * mm),
        p(f"审判员　{data.judge_name}", right),
        p(_date_zh(data.issued_on), right),
        p(data.court_name + "（电子签章）", right),
        Spacer(1, 8 * mm),
        p(f"验证码 Verification code: {data.outcome_code}", small),
    ]
    if data.agreement_code:
        story.append(p(f"所依据的调解协议验证码 Agreement: {data.agreement_code}", small))
    if data.verify_url:
        story.append(p(f"核验 Verify: {data.verify_url}", small))

    def number_pages(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"第 {doc.page} 页 · {data.outcome_code}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=22 * mm,
        bottomMargin=20 * mm, title=f"{TITLE_ZH[data.kind]} {data.case_number}",
        author=data.court_name, invariant=True,
    )
    doc.build(story, onFirstPage=number_pages, onLaterPages=number_pages)
    return buffer.getvalue()


def _font(font_path: Path | None) -> str:
    """The registered CJK font (the settings' path when it differs from the bundled default)."""
    if font_path is not None and font_path != fonts.CJK_FONT_PATH and font_path.exists():
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        name = "OdrCourtCJK"
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(font_path), subfontIndex=fonts.CJK_FONT_INDEX))
        return name
    return fonts.register_cjk_font()
