"""An agreement takes effect (L16 written, L18 oral): one place, one transaction.

The case moves to ``agreement_effective`` and the job that renders, signs,
stores and serves the PDF is queued in the same transaction, so a crash
between them can never leave an effective agreement without its PDF: the
outbox keeps the job until ``agreements.finish_pdf`` has stored it.
"""

from __future__ import annotations

from agreements.models import Agreement, AgreementStatus, PdfState
from odr.audit.chain import record as audit
from odr.cases.lifecycle import CaseEventKind
from odr.cases.models import Case
from odr.cases.transitions import Who, transition
from odr.db.uow import UnitOfWork
from odr.outbox.service import enqueue
from odr.services import Services

FINISH_PDF_KIND = "agreements.finish_pdf"


async def make_effective(
    uow: UnitOfWork, services: Services, case: Case, agreement: Agreement, who: Who
) -> None:
    """Mark ``agreement`` effective now on its current version and move the case.

    The caller holds the case row (``load_case_for_update``) and has checked
    that every required signature and the seal are on the current version (or
    that it is an oral agreement being recorded).
    """
    now = services.clock.now()
    agreement.status = AgreementStatus.EFFECTIVE
    agreement.effective_at = now
    agreement.effective_version = agreement.current_version
    agreement.pdf_state = PdfState.PENDING
    await uow.session.flush()
    await audit(
        uow, services.clock, action="agreement.effective", actor_id=who.user_id,
        actor_label=who.label, subject_type="agreement", subject_id=str(agreement.id),
        data={"case_id": case.id, "version": agreement.current_version, "kind": agreement.kind},
    )
    await transition(
        uow, services, case, CaseEventKind.AGREEMENT_TAKES_EFFECT, who,
        data={"agreement_id": agreement.id, "version": agreement.current_version},
    )
    await enqueue(
        uow, services.clock, kind=FINISH_PDF_KIND, payload={"agreement_id": agreement.id},
        idempotency_key=f"agreement:{agreement.id}:finish_pdf",
    )
