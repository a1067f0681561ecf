"""What happens once an effective agreement's signed PDF is stored.

The worker that renders, signs and stores the PDF (``agreements.signing.finish``)
runs these hooks in the same transaction as the stored PDF: court filing (L37),
performance tracking, the judicial confirmation window (L21). Each part
registers its hook with ``@on_pdf_stored`` in a module listed in
``HOOK_MODULES``; a hook must be idempotent per agreement (the job may run again
after a crash, though it commits at most once).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agreements.models import Agreement
    from odr.cases.models import Case, CaseDocument
    from odr.db.uow import UnitOfWork
    from odr.services import Services

PdfStoredHook = Callable[
    ["Services", "UnitOfWork", "Case", "Agreement", "CaseDocument"], Awaitable[None]
]

HOOK_MODULES: tuple[str, ...] = (
    "agreements.filing.hooks",  # L37: entrusted → back to the court; delegated → record filing
    "agreements.performance.hooks",  # due dates of the agreed terms (safety net; see there)
)

_HOOKS: list[PdfStoredHook] = []
_installed = False


def on_pdf_stored(fn: PdfStoredHook) -> PdfStoredHook:
    _HOOKS.append(fn)
    return fn


def install() -> None:
    global _installed
    if _installed:
        return
    for name in HOOK_MODULES:
        importlib.import_module(name)
    _installed = True


async def run_pdf_stored(
    services: Services, uow: UnitOfWork, case: Case, agreement: Agreement, document: CaseDocument
) -> None:
    install()
    for hook in list(_HOOKS):
        await hook(services, uow, case, agreement, document)
