"""L37 on the stored signed PDF: an entrusted case's agreement goes back to the court,
a delegated case's agreement is filed with the court for record.

Registered with ``agreements.effects.on_pdf_stored`` (the filing needs the signed
PDF the court will read); listed in ``agreements.effects.HOOK_MODULES``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agreements.effects import on_pdf_stored
from agreements.filing.service import file_agreement

if TYPE_CHECKING:
    from agreements.models import Agreement
    from odr.cases.models import Case, CaseDocument
    from odr.db.uow import UnitOfWork
    from odr.services import Services


@on_pdf_stored
async def send_to_court(
    services: Services, uow: UnitOfWork, case: Case, agreement: Agreement, document: CaseDocument
) -> None:
    await file_agreement(services, uow, case, agreement, document)
