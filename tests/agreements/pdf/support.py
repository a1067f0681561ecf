"""Sample data for the agreement PDF tests: a Chinese agreement long enough for three
pages, drawn signatures, and an effective agreement in the database."""

from __future__ import annotations

import hashlib
import io
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import select

from agreements.content import AgreementContent, PartyBlock, Term
from agreements.models import Agreement, AgreementSignature, AgreementStatus
from agreements.pdf.data import AgreementPdfData, SignatureMark
from agreements.pdf.produce import signed_agreement_pdf
from odr.cases.models import CaseParty
from odr.services import Services
from odr.storage.models import StoredBlob
from tests.factories import add_signature, make_agreement, make_case, make_user, seeded_orgs

APPLICANT_ID = "310101199001011234"
RESPONDENT_USCC = "91310000MA1FL2B3X7"


def signature_png(seed: int = 0) -> bytes:
    """A handwritten-looking stroke on a transparent canvas, as the browser sends it."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(30 + i * 45, 100 + ((i * 37 + seed * 11) % 80) - 40) for i in range(13)]
    draw.line(points, fill=(10, 10, 10, 255), width=7)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def sample_content(*, paragraphs: int = 12) -> AgreementContent:
    """Three A4 pages with the default layout."""
    return AgreementContent(
        case_number="(2026)沪金调字第00012号",
        institution_name="上海市金融消费纠纷调解中心",
        mediator_name="赵调解",
        parties=[
            PartyBlock(party_id=1, side="applicant", kind="person", name="张三",
                       id_doc_type="resident_id", id_masked="**************1234",
                       address="上海市黄浦区南京东路100号"),
            PartyBlock(party_id=2, side="respondent", kind="organisation",
                       name="浦江商业银行股份有限公司上海分行", id_doc_type="uscc",
                       id_masked="**************B3X7", legal_representative="王五",
                       address="上海市浦东新区世纪大道8号", agent_name="李律师"),
        ],
        facts="申请人于二〇二五年三月在被申请人处办理信用卡一张，因分期手续费及逾期利息的计算方式与被申请人发生争议。"
        * paragraphs,
        disputed_matters="分期手续费是否已充分提示；逾期利息和违约金的计收标准；征信记录的处理。" * paragraphs,
        responsibilities="被申请人在办理分期业务时对费率的提示不够充分，应承担主要责任；申请人未按期还款，应承担相应责任。"
        * (paragraphs // 2),
        terms=[
            Term(key="refund", obligor_party_ids=[2], obligee_party_ids=[1],
                 text="被申请人向申请人退还多收取的分期手续费。", amount_fen=1_234_567,
                 manner="银行转账至申请人尾号1234的账户", due_on=date(2026, 12, 15)),
            Term(key="waive", obligor_party_ids=[2], obligee_party_ids=[1],
                 text="被申请人免除申请人逾期利息及违约金。", amount_fen=880_005,
                 manner="在申请人账户中直接减免", due_on=date(2026, 11, 30)),
            Term(key="repay", obligor_party_ids=[1], obligee_party_ids=[2],
                 text="申请人向被申请人归还信用卡欠款本金。", amount_fen=5_000_000,
                 manner="分两期还款至信用卡账户", due_on=date(2027, 1, 31)),
            Term(key="credit", obligor_party_ids=[2], obligee_party_ids=[1],
                 text="被申请人在申请人还清本金后十个工作日内申请更正其征信记录。"),
        ],
        other_terms="本协议未尽事宜由双方另行协商。调解不收取费用。" * 6,
    )


def sample_data(*, content: AgreementContent | None = None, with_images: bool = True) -> AgreementPdfData:
    at = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    png = signature_png() if with_images else None
    return AgreementPdfData(
        content=content or sample_content(), version=3, content_sha256="5e" * 32,
        verification_code="7F3K9QWX2M", verify_url="https://odr.example.cn/verify/7F3K9QWX2M",
        institution_name="上海市金融消费纠纷调解中心", institution_code="SFCDMC",
        signatures=[
            SignatureMark("party", "张三", "张三", at, png, 1),
            SignatureMark("party", "李律师", "浦江商业银行股份有限公司上海分行",
                          at.replace(minute=5), png, 2),
            SignatureMark("mediator", "赵调解", "", at.replace(minute=6), png),
            SignatureMark("seal", "钱管理", "", at.replace(minute=7, second=30), None),
        ],
        id_numbers={1: APPLICANT_ID, 2: RESPONDENT_USCC},
        effective_at=at.replace(minute=7, second=30), agreement_id=1,
    )


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def pdffonts(pdf: bytes, tmp_path: Path) -> list[list[str]]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                         text=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


@dataclass
class Effective:
    agreement: Agreement
    case: Any
    parties: list[CaseParty]
    institution_id: int
    pdf: bytes = b""


async def _store_png(services: Services, png: bytes) -> str:
    ref = await services.storage.put_bytes(png)
    async with services.db.uow() as uow:
        if await uow.session.get(StoredBlob, ref.sha256) is None:
            uow.session.add(StoredBlob(sha256=ref.sha256, size=ref.size, content_type="image/png",
                                       created_at=services.clock.now()))
    return ref.sha256


async def effective_agreement(services: Services, *, store_pdf: bool = True) -> Effective:
    """A case with two parties, a mediator, every signature and the seal on version 1,
    effective; with ``store_pdf`` the signed PDF is made and its SHA-256 kept on the row."""
    _courts, institutions = await seeded_orgs(services)
    institution_id = institutions[0]
    mediator = await make_user(services, "mediator", password=None, institution_id=institution_id)
    admin = await make_user(services, "institution_admin", password=None,
                            institution_id=institution_id)
    applicant = await make_user(services, "party", password=None)
    respondent = await make_user(services, "party", password=None)
    case = await make_case(services, applicant=applicant, respondent=respondent,
                           status="in_mediation", institution_id=institution_id, mediator=mediator)
    agreement = await make_agreement(services, case, author=mediator)
    async with services.db.reader() as uow:
        parties = list((await uow.session.execute(
            select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.id)
        )).scalars())
    image = await _store_png(services, signature_png())
    signed = [
        await add_signature(services, agreement, role="party", signer=applicant, party_id=parties[0].id),
        await add_signature(services, agreement, role="party", signer=respondent,
                            party_id=parties[1].id),
        await add_signature(services, agreement, role="mediator", signer=mediator),
        await add_signature(services, agreement, role="seal", signer=admin),
    ]
    now = services.clock.now()
    async with services.db.uow() as uow:
        for signature in signed[:3]:
            row = await uow.session.get(AgreementSignature, signature.id)
            assert row is not None
            row.image_sha256 = image
        row_a = await uow.session.get(Agreement, agreement.id)
        assert row_a is not None
        row_a.status, row_a.effective_at, row_a.effective_version = (
            AgreementStatus.EFFECTIVE, now, 1)
        pdf = b""
        if store_pdf:
            pdf = await signed_agreement_pdf(uow, services, row_a)
            row_a.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
            row_a.pdf_state = "stored"
        agreement = row_a
    return Effective(agreement, case, parties, institution_id, pdf)
