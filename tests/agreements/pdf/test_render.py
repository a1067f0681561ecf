"""The rendered agreement (before signing): text, fonts, page furniture, metadata."""

from __future__ import annotations

import re
from pathlib import Path

from agreements.content import AgreementContent
from agreements.pdf.layout import parse_keywords
from agreements.pdf.render import date_zh, render_agreement, yuan, yuan_uppercase
from tests.agreements.pdf.support import (
    APPLICANT_ID,
    RESPONDENT_USCC,
    pdffonts,
    pdftotext,
    sample_data,
)


def _squash(text: str) -> str:
    """pdftotext breaks lines where the layout wraps; compare without whitespace."""
    return re.sub(r"\s+", "", text)


def test_pdftotext_gives_back_every_party_name_amount_and_date_L15(tmp_path: Path) -> None:
    data = sample_data()
    text = _squash(pdftotext(render_agreement(data), tmp_path))
    for party in data.content.parties:
        assert party.name in text
    for term in data.content.terms:
        assert _squash(term.text) in text
        if term.amount_fen is not None:
            assert f"人民币{yuan(term.amount_fen)}元" in text
            assert yuan_uppercase(term.amount_fen) in text
        if term.due_on is not None:
            assert date_zh(term.due_on) in text
    assert "12,345.67" in text and "8,800.05" in text and "50,000.00" in text
    assert "2026年12月15日" in text and "2026年11月30日" in text and "2027年1月31日" in text
    # signing times and the effective time in Asia/Shanghai (UTC+8)
    assert "2026年11月2日10:00:00" in text and "2026年11月2日10:07:30" in text
    assert "主要事实" in text and "争议事项" in text and "各方责任" in text


def test_full_identity_numbers_are_printed_L15(tmp_path: Path) -> None:
    text = pdftotext(render_agreement(sample_data()), tmp_path)
    assert APPLICANT_ID in text
    assert RESPONDENT_USCC in text


def test_the_cjk_font_is_embedded_as_a_subset_and_nothing_else_is_used(tmp_path: Path) -> None:
    fonts = pdffonts(render_agreement(sample_data()), tmp_path)
    assert fonts, "no fonts listed"
    for row in fonts:
        name, emb, sub = row[0], row[-5], row[-4]
        assert re.match(r"[A-Z]{6}\+WenQuanYiZenHei", name), row
        assert (emb, sub) == ("yes", "yes"), row


def test_every_page_has_its_number_of_the_total_and_the_verification_code(tmp_path: Path) -> None:
    data = sample_data()
    pages = pdftotext(render_agreement(data), tmp_path).split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        squashed = _squash(page)
        assert f"第{number}页共{len(pages)}页" in squashed
        assert data.verification_code in squashed
        assert data.verify_url in squashed
        assert data.content_sha256 in squashed


def test_metadata_names_the_agreement_version_and_hash() -> None:
    data = sample_data()
    pdf = render_agreement(data)
    found = re.search(rb"/Keywords \((.*?)\)", pdf)
    assert found is not None
    claimed = parse_keywords(found.group(1).decode())
    assert claimed == {"kind": "agreement", "code": "7F3K9QWX2M", "version": "3",
                       "content-sha256": data.content_sha256}


def test_rendering_is_deterministic() -> None:
    assert render_agreement(sample_data()) == render_agreement(sample_data())


def test_a_signature_without_image_or_an_unreadable_image_still_shows_name_and_time(
    tmp_path: Path,
) -> None:
    data = sample_data(with_images=False)
    broken = data.signatures[0].__class__(**{**data.signatures[0].__dict__, "png": b"not a png"})
    data.signatures[0] = broken
    text = _squash(pdftotext(render_agreement(data), tmp_path))
    assert "申请人：张三" in text and "（电子签名）" in text


def test_an_oral_agreement_says_the_mediator_recorded_it_L18(tmp_path: Path) -> None:
    data = sample_data()
    oral = data.__class__(**{**data.__dict__, "kind": "oral",
                             "signatures": [s for s in data.signatures if s.role != "party"]})
    text = _squash(pdftotext(render_agreement(oral), tmp_path))
    assert "口头调解协议" in text


def test_amounts_in_yuan_are_exact_from_integer_fen() -> None:
    assert yuan(0) == "0.00"
    assert yuan(5) == "0.05"
    assert yuan(123_456_789_01) == "123,456,789.01"
    assert yuan_uppercase(1_000_000) == "壹万元整"
    assert yuan_uppercase(1_000_050) == "壹万元伍角"
    assert yuan_uppercase(1_234_567) == "壹万贰仟叁佰肆拾伍元陆角柒分"
    assert yuan_uppercase(100_000_001) == "壹佰万元零壹分"
    assert yuan_uppercase(1_000_100_000) == "壹仟万壹仟元整"
    assert yuan_uppercase(1_000_010_000) == "壹仟万零壹佰元整"
    assert yuan_uppercase(10_000_000_000) == "壹亿元整"
    assert yuan_uppercase(10_000_100_000) == "壹亿零壹仟元整"
    assert yuan_uppercase(7) == "柒分"
    assert yuan_uppercase(53) == "伍角叁分"


def test_empty_sections_say_none() -> None:
    content = AgreementContent(parties=[], terms=[])
    data = sample_data(content=content)
    assert render_agreement(data).startswith(b"%PDF-")
