"""The ruling (民事裁定书) of a judicial confirmation as a PDF (L26).

``render_ruling`` is pure: reportlab, A4, the CJK TrueType font embedded as a
subset (``odr.cases.documents.fonts``), page numbers, text that pdftotext gives
back (court, case number, parties, the agreement's terms for a valid ruling or
the INT 358 ground for a rejection, the judge, the date, the ruling code with
the public verification address). The court's digital signature is applied
afterwards (``agreements.confirmation.ruling.sign_ruling``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from odr.cases.documents.fonts import CJK_FONT_PATH


@dataclass(frozen=True)
class RulingParty:
    name: str
    id_masked: str
    address: str = ""
    side: str = "applicant"  # the side in the mediation (both are applicants here)


@dataclass(frozen=True)
class RulingTerm:
    text: str
    amount_fen: int | None = None
    manner: str = ""
    due_on: date | None = None


@dataclass(frozen=True)
class RulingPdfData:
    court_name: str
    case_number: str  # the platform's case number
    ruling_code: str
    outcome: str  # valid | rejected
    parties: list[RulingParty]
    institution_name: str
    applied_on: date
    effective_on: date
    judge_name: str
    ruled_on: date
    verify_url: str
    terms: list[RulingTerm] = field(default_factory=list)
    ground_text: str = ""  # rejected: the INT 358 ground
    reason: str = ""


def yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def day_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _term_line(n: int, term: RulingTerm) -> str:
    parts = [f"{n}. {term.text}"]
    if term.amount_fen is not None:
        parts.append(f"金额：人民币{yuan(term.amount_fen)}元")
    if term.manner:
        parts.append(f"履行方式：{term.manner}")
    if term.due_on is not None:
        parts.append(f"履行期限：{day_text(term.due_on)}前")
    return "；".join(parts) + "。"


def paragraphs(data: RulingPdfData) -> list[tuple[str, str]]:
    """The ruling's text as (style, text) pairs: what the PDF shows, in order."""
    names = "、".join(p.name for p in data.parties)
    out: list[tuple[str, str]] = [
        ("court", data.court_name),
        ("title", "民事裁定书"),
        ("number", f"（{data.case_number}）"),
    ]
    for p in data.parties:
        line = f"申请人：{p.name}，身份证件号码{p.id_masked}"
        if p.address:
            line += f"，住所地{p.address}"
        out.append(("body", line + "。"))
    out.append(("body", (
        f"申请人{names}于{day_text(data.applied_on)}向本院申请司法确认其于"
        f"{day_text(data.effective_on)}经{data.institution_name or '调解组织'}主持调解达成的调解协议。"
        f"本院受理后，依法指定审判员{data.judge_name}进行了审查。"
    )))
    if data.outcome == "valid":
        out.append(("body", (
            "本院经审查认为，申请人达成的调解协议符合司法确认的条件。依照《中华人民共和国民事诉讼法》"
            "第二百零六条之规定，裁定如下："
        )))
        out.append(("body", f"申请人{names}达成的调解协议有效。协议内容如下："))
        out.extend(("term", _term_line(i, t)) for i, t in enumerate(data.terms, 1))
        out.append(("body", (
            "当事人应当按照调解协议的约定自觉履行义务。一方当事人拒绝履行或者未全部履行的，"
            "对方当事人可以向本院申请强制执行。"
        )))
    else:
        out.append(("body", (
            f"本院经审查认为，该调解协议{data.ground_text}。{data.reason}依照《最高人民法院关于适用"
            "〈中华人民共和国民事诉讼法〉的解释》第三百五十八条之规定，裁定如下："
        )))
        out.append(("body", f"驳回申请人{names}的司法确认申请。"))
        out.append(("body", (
            "申请人可以通过调解方式变更原调解协议或者达成新的调解协议，"
            "也可以就原纠纷向人民法院提起诉讼（《中华人民共和国民事诉讼法》第二百零六条）。"
        )))
    out.append(("body", "本裁定书自即日起发生法律效力。本案不收取费用。"))
    out.append(("sign", f"审判员　{data.judge_name}"))
    out.append(("sign", day_text(data.ruled_on)))
    out.append(("small", f"裁定书核验码：{data.ruling_code}　核验地址：{data.verify_url}"))
    return out


def render_ruling(data: RulingPdfData, font_path: Path = CJK_FONT_PATH) -> bytes:
    """The unsigned ruling PDF on the platform's page template (``agreements.pdf.layout``):
    A4, embedded CJK font subset, page numbers, the ruling code with its QR code on every
    page, and ``odr-kind=ruling odr-code=...`` keywords so verification can identify it."""
    from agreements.pdf.layout import DocumentMeta, build_pdf, register_font

    font = register_font(font_path)
    base = ParagraphStyle("ruling-body", fontName=font, fontSize=12, leading=20, wordWrap="CJK",
                          firstLineIndent=24, spaceAfter=4)
    styles = {
        "court": ParagraphStyle("ruling-court", parent=base, fontSize=18, leading=26,
                                alignment=TA_CENTER, firstLineIndent=0),
        "title": ParagraphStyle("ruling-title", parent=base, fontSize=22, leading=32,
                                alignment=TA_CENTER, firstLineIndent=0),
        "number": ParagraphStyle("ruling-number", parent=base, alignment=TA_RIGHT,
                                 firstLineIndent=0),
        "body": base,
        "term": ParagraphStyle("ruling-term", parent=base, firstLineIndent=0, leftIndent=24),
        "sign": ParagraphStyle("ruling-sign", parent=base, alignment=TA_RIGHT, firstLineIndent=0),
        "small": ParagraphStyle("ruling-small", parent=base, fontSize=8, leading=12,
                                firstLineIndent=0),
    }
    story: list[Flowable] = []
    for style, text in paragraphs(data):
        if style in ("sign", "small"):
            story.append(Spacer(1, 6 * mm))
        story.append(Paragraph(escape(text), styles[style]))
    meta = DocumentMeta(kind="ruling", code=data.ruling_code, title="民事裁定书",
                        issuer=data.court_name, verify_url=data.verify_url)
    return build_pdf(story, meta, font_path)
