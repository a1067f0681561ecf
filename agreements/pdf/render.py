"""The agreement as a PDF (reportlab platypus): pure, deterministic, blocking
(run it in a thread from async code).

Layout: title; the parties with their full identity numbers (L15); main
facts, disputed matters, responsibilities; the numbered terms with amount
(exact yuan from integer fen), manner and deadline of performance; other
terms; the signature blocks with each drawn signature and its time
(Asia/Shanghai), the mediator's, and the institution's seal; the effective
time (L16). Every page: "第 x 页 共 y 页", the verification code and its QR
code, the version and the content hash (``agreements.pdf.layout``).
"""

from __future__ import annotations

import functools
import io
from datetime import date, datetime
from pathlib import Path

from PIL import Image as PILImage
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from agreements.content import AgreementContent, PartyBlock, Term
from agreements.pdf.data import AgreementPdfData, SignatureMark
from agreements.pdf.layout import (
    DocumentMeta,
    PlainText,
    build_pdf,
    escape,
    register_font,
    styles,
)
from agreements.pdf.seal import Seal
from odr.cases.documents.fonts import CJK_FONT_PATH
from odr.clock import to_local

SIDE_ZH = {"applicant": "申请人", "respondent": "被申请人"}
ID_TYPE_ZH = {
    "resident_id": "居民身份证", "lawyer_licence": "律师执业证", "uscc": "统一社会信用代码",
    "passport": "护照",
}
SECTION_NUMBERS = "一二三四五六七八九十"
SIGNATURE_BOX = (60 * mm, 20 * mm)
SIGNATURE_PIXELS = (480, 160)  # enough for print at ~200 dpi in the box; keeps the file small
CONTENT_WIDTH = 166 * mm

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ["", "拾", "佰", "仟"]
_GROUPS = ["", "万", "亿", "万亿"]


def yuan(fen: int) -> str:
    """Integer fen as yuan with two decimals and thousands separators: 1234567 -> 12,345.67."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def _four(n: int) -> str:
    out, zero = "", False
    for i, unit in reversed(list(enumerate(_UNITS))):
        digit = n // 10**i % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[digit] + unit
    return out


def yuan_uppercase(fen: int) -> str:
    """The amount in Chinese financial numerals (大写): 1000050 -> 壹万元零伍角."""
    yuan_part, jiao, fen_digit = fen // 100, fen // 10 % 10, fen % 10
    groups: list[int] = []
    while yuan_part:
        groups.append(yuan_part % 10000)
        yuan_part //= 10000
    text, pending_zero = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            pending_zero = bool(text)
            continue
        if text and (pending_zero or group < 1000):
            text += "零"
        text += _four(group) + _GROUPS[index]
        pending_zero = False
    if not text and (jiao or fen_digit):  # under one yuan: 柒分, 伍角叁分
        return (_DIGITS[jiao] + "角" if jiao else "") + (_DIGITS[fen_digit] + "分" if fen_digit else "")
    text = (text or "零") + "元"
    if jiao == 0 and fen_digit == 0:
        return text + "整"
    text += _DIGITS[jiao] + "角" if jiao else "零"
    if fen_digit:
        text += _DIGITS[fen_digit] + "分"
    return text


def date_zh(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def moment_zh(moment: datetime) -> str:
    local = to_local(moment)
    return f"{date_zh(local.date())} {local:%H:%M:%S}"


@functools.lru_cache(maxsize=64)
def _signature_image(png: bytes) -> ImageReader:
    """Flatten the drawn signature onto white, crop to the ink, shrink, grey; decoded
    once and reused by every document that shows it (re-renders, retries)."""
    with PILImage.open(io.BytesIO(png)) as image:
        image.load()
        rgba = image.convert("RGBA")
    white = PILImage.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat = PILImage.alpha_composite(white, rgba).convert("L")
    box = flat.point(lambda v: 255 - v).getbbox()  # the ink's bounding box
    if box:
        flat = flat.crop(box)
    flat.thumbnail(SIGNATURE_PIXELS)
    reader = ImageReader(flat)
    reader.getRGBData()  # decode now, once
    return reader


class _SignatureImage(Flowable):
    def __init__(self, reader: ImageReader, width: float, height: float) -> None:
        super().__init__()
        self.reader, self.width, self.height = reader, width, height

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.canv.drawImage(self.reader, 0, 0, self.width, self.height)


def _signature_flowable(mark: SignatureMark) -> Flowable | None:
    if not mark.png:
        return None
    try:
        reader = _signature_image(mark.png)
    except (OSError, ValueError):  # not an image: the block still shows the name and time
        return None
    width, height = reader.getSize()
    scale = min(SIGNATURE_BOX[0] / width, SIGNATURE_BOX[1] / height)
    return _SignatureImage(reader, width * scale, height * scale)


def _party_rows(content: AgreementContent, data: AgreementPdfData, font: str) -> list[list[Flowable]]:
    s = styles(font)
    rows: list[list[Flowable]] = []
    for party in content.parties:
        number = data.id_numbers.get(party.party_id) or party.id_masked
        id_type = ID_TYPE_ZH.get(party.id_doc_type, party.id_doc_type or "证件")
        lines = [f"<b>{escape(SIDE_ZH.get(party.side, party.side))}：{escape(party.name)}</b>",
                 f"{escape(id_type)}号码：{escape(number)}"]
        if party.legal_representative:
            lines.append(f"法定代表人：{escape(party.legal_representative)}")
        if party.address:
            lines.append(f"住所地：{escape(party.address)}")
        if party.agent_name:
            lines.append(f"委托代理人：{escape(party.agent_name)}")
        rows.append([Paragraph("<br/>".join(lines), s["cell"])])
    return rows


def _names(content: AgreementContent, ids: list[int]) -> str:
    by_id = {p.party_id: p.name for p in content.parties}
    return "、".join(by_id.get(i, str(i)) for i in ids)


def _term(index: int, term: Term, content: AgreementContent, font: str) -> Flowable:
    parts = [f"{index}. {term.text}"]
    who = []
    if term.obligor_party_ids:
        who.append(f"履行义务人：{_names(content, term.obligor_party_ids)}")
    if term.obligee_party_ids:
        who.append(f"权利人：{_names(content, term.obligee_party_ids)}")
    if who:
        parts.append("；".join(who))
    if term.amount_fen is not None:
        parts.append(f"金额：人民币 {yuan(term.amount_fen)} 元（{yuan_uppercase(term.amount_fen)}）")
    if term.manner:
        parts.append(f"履行方式：{term.manner}")
    if term.due_on is not None:
        parts.append(f"履行期限：{date_zh(term.due_on)}前（含当日）")
    return _text("\n".join(parts), font, hanging=6 * mm, space_after=1.5 * mm)


def _text(text: str, font: str, *, hanging: float = 0.0, space_after: float = 0.0) -> PlainText:
    body = styles(font)["body"]
    return PlainText(text, font, body.fontSize, body.leading, hanging=hanging,
                     space_after=space_after)


def _section(number: int, title: str, text: str, font: str) -> list[Flowable]:
    s = styles(font)
    return [Paragraph(f"{SECTION_NUMBERS[number]}、{title}", s["heading"]),
            _text(text if text.strip() else "无。", font)]


def _signature_table(data: AgreementPdfData, font: str) -> Table | None:
    s = styles(font)
    rows: list[list[Flowable | str]] = []
    parties = [m for m in data.signatures if m.role == "party"]
    signed_party_ids = {m.party_id for m in parties}
    for mark in parties:
        label = f"{SIDE_ZH.get(_side(data.content, mark.party_id), '当事人')}：{mark.party_name}"
        if mark.signer_name and mark.signer_name != mark.party_name:
            label += f"<br/>（委托代理人 {escape(mark.signer_name)} 代为签署）"
        rows.append([Paragraph(f"{label}<br/>签署时间：{moment_zh(mark.signed_at)}", s["cell"]),
                     _signature_flowable(mark) or Paragraph("（电子签名）", s["cell"])])
    if data.kind == "oral":
        rows.append([Paragraph("口头调解协议：由调解员记录其内容，达成时生效。", s["cell"]), ""])
    else:
        for party in data.content.parties:
            if party.party_id not in signed_party_ids:
                rows.append([Paragraph(
                    f"{SIDE_ZH.get(party.side, '当事人')}：{escape(party.name)}<br/>（未签署）",
                    s["cell"]), ""])
    for mark in (m for m in data.signatures if m.role == "mediator"):
        rows.append([Paragraph(f"调解员：{escape(mark.signer_name)}<br/>"
                               f"签署时间：{moment_zh(mark.signed_at)}", s["cell"]),
                     _signature_flowable(mark) or Paragraph("（电子签名）", s["cell"])])
    seal = next((m for m in data.signatures if m.role == "seal"), None)
    if seal is not None:
        rows.append([Paragraph(f"调解组织：{escape(data.institution_name)}（盖章）<br/>"
                               f"用印时间：{moment_zh(seal.signed_at)}", s["cell"]),
                     Seal(data.institution_name, font, 34 * mm)])
    if not rows:
        return None
    table = Table(rows, colWidths=[CONTENT_WIDTH - 70 * mm, 70 * mm])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.lightgrey),
        ("TOPPADDING", (0, 0), (-1, -1), 3 * mm),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm),
    ]))
    return table


def _side(content: AgreementContent, party_id: int | None) -> str:
    found: PartyBlock | None = next((p for p in content.parties if p.party_id == party_id), None)
    return found.side if found else ""


def agreement_flowables(data: AgreementPdfData, font: str) -> list[Flowable]:
    """The agreement's body (without the page template), for tests and the benchmark."""
    content, s = data.content, styles(font)
    story: list[Flowable] = [
        Paragraph(escape(content.title or "调解协议书"), s["title"]),
        Paragraph(f"案号：{escape(content.case_number or '—')}　　"
                  f"验证码：{escape(data.verification_code)}　　第 {data.version} 版", s["subtitle"]),
        Spacer(1, 5 * mm),
        Paragraph("当事人", s["heading"]),
    ]
    rows = _party_rows(content, data, font)
    if rows:
        parties = Table(rows, colWidths=[CONTENT_WIDTH])
        parties.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.lightgrey),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ]))
        story.append(parties)
    if content.mediator_name or content.institution_name or data.institution_name:
        story.append(Spacer(1, 2 * mm))
        story.append(Paragraph(
            f"调解组织：{escape(data.institution_name or content.institution_name)}　　"
            f"调解员：{escape(content.mediator_name or '—')}", s["body"]))
    story += _section(0, "主要事实", content.facts, font)
    story += _section(1, "争议事项", content.disputed_matters, font)
    story += _section(2, "各方责任", content.responsibilities, font)
    story.append(Paragraph(f"{SECTION_NUMBERS[3]}、协议内容", s["heading"]))
    story.append(_text("经调解，各方当事人自愿达成如下协议：", font))
    story += [_term(i, t, content, font) for i, t in enumerate(content.terms, start=1)]
    story += _section(4, "其他约定", content.other_terms, font)
    copies = content.copies_note or (
        "本协议一式多份，各方当事人各执一份，调解组织留存一份，均通过平台电子送达，具有同等效力。")
    story.append(_text(copies, font))
    effective = (f"本协议自各方当事人签名、调解员签名并加盖调解组织印章之日起生效。"
                 f"生效时间：{moment_zh(data.effective_at)}（北京时间）。"
                 if data.effective_at else "本协议自各方当事人签名、调解员签名并加盖调解组织印章之日起生效。")
    story.append(_text(effective, font))
    story.append(Spacer(1, 4 * mm))
    signatures = _signature_table(data, font)
    if signatures is not None:
        story.append(KeepTogether([Paragraph("签署", s["heading"]), signatures]))
    story.append(Spacer(1, 3 * mm))
    story.append(Paragraph(
        f"本文件由 {escape(data.institution_name)} 以电子印章（数字签名，PAdES）签署，"
        f"可通过验证码或扫描二维码核验其完整性与版本。", s["small"]))
    return story


def agreement_meta(data: AgreementPdfData) -> DocumentMeta:
    return DocumentMeta(
        kind="agreement", code=data.verification_code, title=data.content.title or "调解协议书",
        issuer=data.institution_name, verify_url=data.verify_url, version=data.version,
        content_sha256=data.content_sha256,
    )


def render_agreement(data: AgreementPdfData, font_path: Path = CJK_FONT_PATH) -> bytes:
    """The unsigned agreement PDF. Pure and deterministic; blocking (run in a thread)."""
    font = register_font(Path(font_path))
    return build_pdf(agreement_flowables(data, font), agreement_meta(data), Path(font_path))
