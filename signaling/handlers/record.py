"""The session record (笔录) and the undisputed facts both sides sign (L11, L12).

``record.update``: the host (or a co-host holding ``record``) saves a new
version of the written record; each version keeps its SHA-256, and a save
based on an older version than the latest is refused (two editors never
overwrite each other silently).

``fact.propose``: the host proposes a fact as undisputed. ``fact.confirm``: a
party (or its agent) confirms the exact text it was shown, by its SHA-256; a
confirmation of other text is refused. The fact is confirmed once both the
applicant's and the respondent's side confirmed it — the one exception to
mediation confidentiality (L11). Every step is in the audit chain.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from odr.audit.chain import record as audit
from odr.meetings.models import (
    FactConfirmation,
    MeetingSeat,
    SeatState,
    SessionRecord,
    UndisputedFact,
)
from odr.policy import Permission
from signaling.protocol import (
    FactConfirm,
    FactOut,
    FactPropose,
    SessionRecordOut,
    SessionRecordUpdate,
)
from signaling.registry import handles
from signaling.rooms import hosts_room, seat_room
from signaling.scope import EventScope, RoomError

BOTH_SIDES = frozenset({"applicant", "respondent"})


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _author(scope: EventScope) -> int:
    user_id = scope.caller.actor.user_id
    if user_id is None:
        raise RoomError("forbidden", "only an account holder writes the record")
    return user_id


@handles("record.update", Permission.ROOM_RECORD_WRITE)
async def record_update(scope: EventScope, message: SessionRecordUpdate) -> dict[str, object]:
    meeting, seat = scope.meeting, scope.seat
    assert meeting is not None and seat is not None
    author = _author(scope)
    latest = (
        await scope.uow.session.execute(
            select(func.max(SessionRecord.version)).where(SessionRecord.meeting_id == meeting.id)
        )
    ).scalar_one_or_none() or 0
    if message.base_version != latest:
        raise RoomError("conflict", f"the record changed meanwhile: the latest version is {latest}")
    digest = text_sha256(message.body)
    version = latest + 1
    scope.uow.session.add(SessionRecord(
        meeting_id=meeting.id, version=version, body=message.body, author_id=author,
        sha256=digest, at=scope.now,
    ))
    await audit(scope.uow, scope.services.clock, action="meeting.record.update", actor_id=author,
                actor_label=seat.display_name, subject_type="meeting", subject_id=meeting.id,
                data={"version": version, "sha256": digest, "chars": len(message.body)})
    scope.emit("record", SessionRecordOut(meeting_id=meeting.id, version=version, sha256=digest,
                                          at=scope.now.isoformat()), room=hosts_room(meeting.id))
    return {"version": version, "sha256": digest}


async def _fact_out(scope: EventScope, fact: UndisputedFact) -> FactOut:
    sides = (
        await scope.uow.session.execute(
            select(FactConfirmation.side).where(
                FactConfirmation.fact_id == fact.id, FactConfirmation.fact_sha256 == fact.sha256
            )
        )
    ).scalars().all()
    return FactOut(
        id=fact.id, meeting_id=fact.meeting_id, text=fact.text, sha256=fact.sha256,
        proposed_at=fact.proposed_at.isoformat(), confirmed_sides=sorted(set(sides)),
        confirmed=fact.confirmed_at is not None,
    )


async def _queue_fact(scope: EventScope, fact: UndisputedFact) -> None:
    """To every admitted seat (facts are joint; caucus members see them too) and the hosts."""
    out = await _fact_out(scope, fact)
    seat_ids = (
        await scope.uow.session.execute(
            select(MeetingSeat.id).where(
                MeetingSeat.meeting_id == fact.meeting_id, MeetingSeat.state == SeatState.ADMITTED
            )
        )
    ).scalars().all()
    for seat_id in seat_ids:
        scope.emit("fact", out, room=seat_room(fact.meeting_id, seat_id))


@handles("fact.propose", Permission.ROOM_RECORD_WRITE)
async def fact_propose(scope: EventScope, message: FactPropose) -> dict[str, object]:
    meeting, seat = scope.meeting, scope.seat
    assert meeting is not None and seat is not None
    author = _author(scope)
    fact = UndisputedFact(meeting_id=meeting.id, text=message.text, sha256=text_sha256(message.text),
                          proposed_by_id=author, proposed_at=scope.now)
    scope.uow.session.add(fact)
    await scope.uow.session.flush()
    await audit(scope.uow, scope.services.clock, action="meeting.fact.propose", actor_id=author,
                actor_label=seat.display_name, subject_type="undisputed_fact", subject_id=fact.id,
                data={"meeting_id": meeting.id, "sha256": fact.sha256})
    await _queue_fact(scope, fact)
    return {"fact_id": fact.id, "sha256": fact.sha256}


@handles("fact.confirm", Permission.ROOM_FACT_CONFIRM)
async def fact_confirm(scope: EventScope, message: FactConfirm) -> dict[str, object]:
    meeting, seat = scope.meeting, scope.seat
    assert meeting is not None and seat is not None
    fact = await scope.uow.session.get(UndisputedFact, message.fact_id)
    if fact is None or fact.meeting_id != meeting.id or fact.withdrawn_at is not None:
        raise RoomError("not_found", "no such fact in this meeting")
    if message.sha256 != fact.sha256:
        raise RoomError("stale_text", "the fact's text is not the text you confirm: read it again")
    if seat.side not in BOTH_SIDES:
        raise RoomError("forbidden", "only a party's side confirms facts")
    user_id = _author(scope)
    session = scope.uow.session
    exists = (
        await session.execute(
            select(FactConfirmation.id).where(
                FactConfirmation.fact_id == fact.id, FactConfirmation.user_id == user_id
            )
        )
    ).first()
    if exists is not None:
        raise RoomError("conflict", "you already confirmed this fact")
    session.add(FactConfirmation(fact_id=fact.id, seat_id=seat.id, user_id=user_id, side=seat.side,
                                 fact_sha256=fact.sha256, at=scope.now))
    try:
        await session.flush()
    except IntegrityError as exc:  # a second confirmation racing this one
        raise RoomError("conflict", "you already confirmed this fact") from exc
    await audit(scope.uow, scope.services.clock, action="meeting.fact.confirm", actor_id=user_id,
                actor_label=seat.display_name, subject_type="undisputed_fact", subject_id=fact.id,
                data={"meeting_id": meeting.id, "side": seat.side, "sha256": fact.sha256})
    sides = set(
        (
            await session.execute(
                select(FactConfirmation.side).where(FactConfirmation.fact_id == fact.id)
            )
        ).scalars().all()
    )
    if fact.confirmed_at is None and sides >= BOTH_SIDES:
        fact.confirmed_at = scope.now
        await audit(scope.uow, scope.services.clock, action="meeting.fact.confirmed",
                    actor_label="both sides", subject_type="undisputed_fact", subject_id=fact.id,
                    data={"meeting_id": meeting.id, "sha256": fact.sha256, "text": fact.text})
    await _queue_fact(scope, fact)
    return {"confirmed": fact.confirmed_at is not None}
