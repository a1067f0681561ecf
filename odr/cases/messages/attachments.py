"""Which case documents may be attached to a thread message.

An attachment is one exact document row of the same case. A party (or its
agent) attaches what its side may see, and its own mediator-only uploads;
staff attach only what the thread's side may already see, so a reply never
shows one side the other side's documents. Anything else is a 422 naming
the refused ids, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.cases.models import CaseDocument, DocumentVisibility
from odr.errors import ValidationFailed


def party_may_attach(doc: CaseDocument, side: str, user_id: int | None) -> bool:
    """A party (or agent) attaches what its side may see; its own mediator-only uploads too."""
    return (
        doc.visibility == DocumentVisibility.ALL
        or (doc.visibility == DocumentVisibility.OWN_SIDE and doc.side == side)
        or (doc.visibility == DocumentVisibility.MEDIATOR_ONLY and doc.uploaded_by_id == user_id)
    )


def staff_may_attach(doc: CaseDocument, side: str) -> bool:
    """Staff attach only what the thread's side may already see (never the other side's)."""
    return doc.visibility == DocumentVisibility.ALL or (
        doc.visibility == DocumentVisibility.OWN_SIDE and doc.side == side
    )


async def checked_attachments(
    session: AsyncSession, case_id: int, ids: list[int], may: Callable[[CaseDocument], bool]
) -> list[CaseDocument]:
    """The documents ``ids`` names, or 422 naming each one not of this case or not allowed."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    docs = {
        d.id: d
        for d in (
            await session.execute(select(CaseDocument).where(CaseDocument.id.in_(wanted)))
        ).scalars()
    }
    bad = [i for i in wanted if i not in docs or docs[i].case_id != case_id or not may(docs[i])]
    if bad:
        raise ValidationFailed(
            "attachments must be documents of this case that you (and the thread's side) may see",
            code="invalid_attachments", details={"attachment_ids": bad},
        )
    return [docs[i] for i in wanted]
