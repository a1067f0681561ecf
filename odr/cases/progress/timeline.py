"""The case timeline for its participants and staff: ``CaseEvent`` rows, oldest first, by id.

One indexed query per page (``ix_case_events_case_id_id``: ``case_id = ? AND
id > ? ORDER BY id LIMIT ?``) on plain columns; actor labels are stored on
the row, so nothing else is read per event. Parties and agents see events
of visibility ``all`` only. Beyond that, two rules keep thread traffic where
it belongs (L11):

- no party sees an event about a reply deadline of a thread, whatever its
  visibility (the other side must not learn a thread exists or was answered);
- the mediator sees no complaint event (a complaint may be about them).

These rows are dropped after the query; ``next_after_id`` is the last id
scanned, so paging stays correct when a page comes back shorter than ``limit``.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from pydantic_core import to_json
from sqlalchemy import Select, Text, bindparam, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.cases.models import CaseEvent, EventVisibility
from odr.cases.progress.vocabulary import kind_label
from odr.http.api import StrictModel

THREAD_DEADLINE_KINDS = frozenset({"message_reply", "complaint_reply"})
COMPLAINT_EVENT_KINDS = frozenset({
    "complaint_opened", "complaint_message", "complaint_escalated", "complaint_supervision",
})
MAX_LIMIT = 500


class TimelineQuery(StrictModel):
    after_id: int = Field(default=0, ge=0)
    limit: int = Field(default=100, ge=1, le=MAX_LIMIT)


class TimelineItem(BaseModel):
    id: int
    at: datetime
    kind: str
    label_zh: str
    label_en: str
    actor_label: str
    visibility: str
    data: dict[str, Any]


class TimelinePage(BaseModel):
    items: list[TimelineItem]
    next_after_id: int | None  # pass as after_id for the next page; null at the end


# id, at, kind, actor_label, visibility, data as stored JSON text
EventRows = Select[int, datetime, str, str, str, str]


@functools.cache
def _statement(parties_view: bool) -> EventRows:
    stmt = select(
        CaseEvent.id, CaseEvent.at, CaseEvent.kind, CaseEvent.actor_label,
        CaseEvent.visibility, cast(CaseEvent.data, Text),  # copied into the answer as it is
    ).where(CaseEvent.case_id == bindparam("case_id"), CaseEvent.id > bindparam("after_id"))
    if parties_view:
        stmt = stmt.where(CaseEvent.visibility == EventVisibility.ALL)
    return stmt.order_by(CaseEvent.id).limit(bindparam("limit"))


def _hidden(kind: str, data: dict[str, Any], *, staff: bool, mediator: bool) -> bool:
    if not staff and data.get("deadline_kind") in THREAD_DEADLINE_KINDS:
        return True
    return mediator and (
        kind in COMPLAINT_EVENT_KINDS
        or data.get("thread_kind") == "complaint"
        or data.get("deadline_kind") == "complaint_reply"
    )


def _hidden_raw(kind: str, raw: str, *, staff: bool, mediator: bool) -> bool:
    """``_hidden`` on the stored JSON text, decoding it only when it names a thread or deadline."""
    if mediator and kind in COMPLAINT_EVENT_KINDS:
        return True
    if staff and not mediator:
        return False
    if "deadline_kind" not in raw and "thread_kind" not in raw:
        return False
    return _hidden(kind, json.loads(raw), staff=staff, mediator=mediator)


async def timeline_page(
    session: AsyncSession, case_id: int, *, staff: bool, mediator: bool, after_id: int, limit: int
) -> bytes:
    """One page of the timeline as a viewer sees it (``staff``: the case's staff; ``mediator``),
    as the JSON of a ``TimelinePage``.

    A hot read: the rows come through a Core connection (no ORM loading), and each
    event's ``data`` is copied from the stored JSON text into the answer without being
    decoded and encoded again.
    """
    conn = await session.connection()
    rows = (
        await conn.execute(
            _statement(not staff), {"case_id": case_id, "after_id": after_id, "limit": limit + 1}
        )
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items: list[bytes] = []
    for event_id, at, kind, actor_label, visibility, raw in rows:
        raw = raw or "{}"
        if _hidden_raw(kind, raw, staff=staff, mediator=mediator):
            continue
        label = kind_label(kind)
        head = to_json({
            "id": event_id, "at": at, "kind": kind, "label_zh": label.zh, "label_en": label.en,
            "actor_label": actor_label, "visibility": visibility,
        })
        items.append(head[:-1] + b',"data":' + raw.encode() + b"}")
    next_after_id = rows[-1][0] if more and rows else None
    return (b'{"items":[' + b",".join(items) + b'],"next_after_id":' + to_json(next_after_id)
            + b"}")
