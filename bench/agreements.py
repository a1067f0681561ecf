"""Benchmark: render and PAdES-sign a three-page Chinese mediation agreement.

Each run renders the agreement with reportlab (the embedded CJK subset, three
drawn signatures, the seal, the QR code on every page) and signs it with the
institution's key and an RFC 3161 timestamp from the local authority (PAdES
B-T), exactly as the ``agreements.finish_pdf`` job does, minus the database.
Every run has its own verification code (its own QR code), as real documents
do. Beside it, in the same process and run, reportlab renders the same text
without signing. One-time work (font parsing, key loading, the development CA)
happens before timing.

    .venv/bin/python bench/agreements.py              # 200 runs
    .venv/bin/python bench/agreements.py --runs 10    # CI smoke

Goal: p50 under 150 ms, the signed PDF under 400 KB. The last line is one JSON
object: ``{"bench": "agreements", "p50_ms", "p99_ms", "bytes", "unsigned_p50_ms"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import io
import json
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from PIL import Image, ImageDraw  # noqa: E402

from agreements.content import AgreementContent, PartyBlock, Term  # noqa: E402
from agreements.pdf.data import AgreementPdfData, SignatureMark, verify_url  # noqa: E402
from agreements.pdf.render import render_agreement  # noqa: E402
from agreements.pdf.sign import sign_pdf_at  # noqa: E402
from agreements.pki.ca import OrgIdentity, OrgKind, ensure_dev_pki  # noqa: E402
from agreements.pki.signers import signer_for  # noqa: E402
from odr.settings import Settings  # noqa: E402

EPOCH = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@functools.cache
def _signature_png(seed: int) -> bytes:
    """A drawn signature as the browser sends it (made once: not part of the timing)."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(30 + i * 45, 100 + ((i * 37 + seed * 11) % 80) - 40) for i in range(13)]
    draw.line(points, fill=(10, 10, 10, 255), width=7)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def agreement(code: str) -> AgreementPdfData:
    """A realistic agreement that fills three A4 pages."""
    facts = ("申请人于二〇二五年三月在被申请人处办理信用卡一张，此后多次办理账单分期。"
             "二〇二六年五月起申请人未按期还款，被申请人按合同计收逾期利息及违约金，"
             "申请人认为分期手续费的年化费率未在办理时充分提示，双方因此发生争议。")
    content = AgreementContent(
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
        facts=facts * 3,
        disputed_matters="一、分期手续费是否已经充分提示；二、逾期利息和违约金的计收标准；"
        "三、征信不良记录的处理方式。" * 4,
        responsibilities="被申请人在办理分期业务时对费率的提示不够充分，应承担主要责任；"
        "申请人未按期还款，应承担相应责任。" * 4,
        terms=[
            Term(key=f"t{i}", obligor_party_ids=[2 if i % 2 else 1],
                 obligee_party_ids=[1 if i % 2 else 2],
                 text=("被申请人向申请人退还多收取的分期手续费及逾期利息。" if i % 2 else
                       "申请人向被申请人归还信用卡欠款本金。") * 2,
                 amount_fen=1_234_567 + i * 100_001, manner="银行转账至对方指定账户",
                 due_on=date(2026, 12, 1) + timedelta(days=15 * i))
            for i in range(6)
        ],
        other_terms="本协议未尽事宜由双方另行协商。调解不收取费用。"
        "各方确认已阅读并理解本协议全部条款，系其真实意思表示。" * 3,
    )
    pngs = [_signature_png(i) for i in range(3)]
    return AgreementPdfData(
        content=content, version=2, content_sha256="5e" * 32, verification_code=code,
        verify_url=verify_url("https://odr.example.cn", code),
        institution_name="上海市金融消费纠纷调解中心", institution_code="SFCDMC",
        signatures=[
            SignatureMark("party", "张三", "张三", EPOCH, pngs[0], 1),
            SignatureMark("party", "李律师", "浦江商业银行股份有限公司上海分行",
                          EPOCH + timedelta(minutes=5), pngs[1], 2),
            SignatureMark("mediator", "赵调解", "", EPOCH + timedelta(minutes=6), pngs[2]),
            SignatureMark("seal", "钱管理", "", EPOCH + timedelta(minutes=7), None),
        ],
        id_numbers={1: "310101199001011234", 2: "91310000MA1FL2B3X7"},
        effective_at=EPOCH + timedelta(minutes=7), agreement_id=1,
    )


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    runs = max(3, args.runs)

    with tempfile.TemporaryDirectory(prefix="odr-bench-pki-") as tmp:
        settings = Settings(_env_file=None, environment="test",  # type: ignore[call-arg]
                            var_dir=Path(tmp) / "var", agreement_pki_dir=Path(tmp) / "pki")
        org = OrgIdentity(OrgKind.INSTITUTION, "SFCDMC", "上海市金融消费纠纷调解中心")
        ensure_dev_pki(settings, orgs=[org])
        signer = signer_for(settings, org)  # keys loaded once, as in a worker process
        loop = asyncio.new_event_loop()

        def signed(data: AgreementPdfData, at: datetime) -> bytes:
            pdf = render_agreement(data, settings.pdf_cjk_font_path)
            return loop.run_until_complete(
                sign_pdf_at(settings, pdf, signer, at, reason="调解协议生效", location="上海"))

        warm = signed(agreement("WARMUP0000"), EPOCH)  # font parsing, key loading, first subset
        pages = _pages(render_agreement(agreement("WARMUP0000"), settings.pdf_cjk_font_path))
        signed_ms: list[float] = []
        unsigned_ms: list[float] = []
        signed_cpu_ms: list[float] = []  # process CPU time: stable on a busy machine
        size = len(warm)
        for i in range(runs):
            data = agreement(f"BENCH{i:05d}")
            start, cpu = time.perf_counter(), time.process_time()
            out = signed(data, EPOCH + timedelta(seconds=i))
            signed_ms.append((time.perf_counter() - start) * 1000)
            signed_cpu_ms.append((time.process_time() - cpu) * 1000)
            size = max(size, len(out))
            start = time.perf_counter()
            render_agreement(data, settings.pdf_cjk_font_path)
            unsigned_ms.append((time.perf_counter() - start) * 1000)
        loop.close()

    p50, p99 = statistics.median(signed_ms), _percentile(signed_ms, 0.99)
    unsigned_p50 = statistics.median(unsigned_ms)
    print(f"agreement PDF: {pages} pages, {runs} runs")
    print(f"render + PAdES-sign: p50 {p50:.1f} ms  p99 {p99:.1f} ms  (goal: p50 < 150 ms)")
    print(f"CPU time (render + sign): p50 {statistics.median(signed_cpu_ms):.1f} ms "
          f"(wall time above this means the machine was busy)")
    print(f"render only:         p50 {unsigned_p50:.1f} ms  "
          f"(signing adds {p50 - unsigned_p50:.1f} ms at the median)")
    print(f"signed PDF size:     {size} bytes = {size / 1024:.1f} KB  (goal: < 400 KB)")
    print(json.dumps({"bench": "agreements", "p50_ms": round(p50, 2), "p99_ms": round(p99, 2),
                      "bytes": size, "unsigned_p50_ms": round(unsigned_p50, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
