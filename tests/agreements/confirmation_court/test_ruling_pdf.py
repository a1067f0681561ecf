"""The ruling's PDF alone (L26): Chinese text extractable, the CJK font embedded, both outcomes."""

from __future__ import annotations

import subprocess
from datetime import date

from agreements.confirmation.ruling_pdf import RulingParty, RulingPdfData, RulingTerm, render_ruling


def data(outcome: str) -> RulingPdfData:
    return RulingPdfData(
        court_name="上海市黄浦区人民法院", case_number="ODR-2026-00042", ruling_code="ABCDEF0123456789",
        outcome=outcome,
        parties=[RulingParty("张三", "**************1234", "上海市黄浦区南京东路100号"),
                 RulingParty("李四", "**************5678", "上海市虹口区四川北路200号", "respondent")],
        institution_name="上海经贸商事调解中心", applied_on=date(2026, 11, 2),
        effective_on=date(2026, 10, 30), judge_name="王法官", ruled_on=date(2026, 11, 10),
        verify_url="https://odr.example/verify/ABCDEF0123456789",
        terms=[RulingTerm("李四向张三支付借款本金。", 2_000_000, "银行转账", date(2026, 12, 1))]
        if outcome == "valid" else [],
        ground_text="内容不明确" if outcome == "rejected" else "", reason="履行方式无法确定。",
    )


def text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def test_valid_ruling_text_and_embedded_font_L26() -> None:
    pdf = render_ruling(data("valid"))
    out = text(pdf)
    for needle in ("上海市黄浦区人民法院", "民事裁定书", "张三", "李四", "调解协议有效",
                   "20,000.00", "2026年12月1日", "王法官", "2026年11月10日", "ABCDEF0123456789"):
        assert needle in out, needle
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True
                           ).stdout.decode().splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts), fonts  # embedded (subset)


def test_rejected_ruling_names_the_ground_and_the_remedies_L26() -> None:
    out = text(render_ruling(data("rejected")))
    assert "驳回申请人张三、李四的司法确认申请" in out.replace("\n", "")
    assert "内容不明确" in out and "提起诉讼" in out and "调解协议有效" not in out
