"""Recording segments as signaling stores them, and the meeting's manifest hash.

The manifest is the SHA-256 of one line per segment, in order (seat, track,
sequence), each ``"<seat_id> <track> <sequence> <sha256>\\n"``: anyone holding
the list of segment hashes (``GET .../recordings``) recomputes it, and a
missing, added, reordered or altered segment changes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select

from odr.audit.chain import record as audit
from odr.db.uow import UnitOfWork
from odr.meetings.models import (
    Caucus,
    Meeting,
    MeetingKind,
    MeetingSeat,
    PlaybackStatus,
    RecordingPlayback,
    RecordingSegment,
)
from odr.outbox.service import enqueue
from odr.services import Services
from odr.storage.base import blob_key
from odr.storage.models import StoredBlob

COMPOSE_KIND = "recordings.compose"
SEGMENT_TYPE = "video/webm"


class SegmentLike(Protocol):
    @property
    def seat_id(self) -> int: ...
    @property
    def track(self) -> str: ...
    @property
    def sequence(self) -> int: ...
    @property
    def sha256(self) -> str: ...


def manifest_sha256(segments: Iterable[SegmentLike]) -> str:
    ordered = sorted(segments, key=lambda s: (s.seat_id, s.track, s.sequence))
    digest = hashlib.sha256()
    for s in ordered:
        digest.update(f"{s.seat_id} {s.track} {s.sequence} {s.sha256}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class SegmentIn:
    """What a node reports of one closed segment (``signaling.protocol.NodeSegment``)."""

    seat_id: int
    track: str
    storage_key: str
    sha256: str
    size: int
    started_at: datetime
    ended_at: datetime
    media_start_ms: int
    duration_ms: int
    caucus_id: str | None = None


class SegmentRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


async def segments_of(uow: UnitOfWork, meeting_id: int) -> list[RecordingSegment]:
    return list((await uow.session.execute(
        select(RecordingSegment).where(RecordingSegment.meeting_id == meeting_id)
        .order_by(RecordingSegment.seat_id, RecordingSegment.track, RecordingSegment.sequence)
    )).scalars().all())


async def store_segment(
    uow: UnitOfWork, services: Services, meeting: Meeting, seat: MeetingSeat, node_id: str,
    report: SegmentIn,
) -> RecordingSegment:
    """Store one reported segment (idempotent: the same file reported again is the same row).

    The file must already be in the blob store under its hash: the node moved
    it there before reporting.
    """
    if seat.meeting_id != meeting.id:
        raise SegmentRefused("forbidden", "that seat is not in this meeting")
    if report.ended_at < report.started_at:
        raise SegmentRefused("invalid_message", "a segment cannot end before it starts")
    if report.caucus_id is not None:
        caucus = await uow.session.get(Caucus, report.caucus_id)
        if caucus is None or caucus.meeting_id != meeting.id:
            raise SegmentRefused("invalid_message", "no such caucus in this meeting")
    if report.storage_key != blob_key(report.sha256):
        raise SegmentRefused("invalid_message", "segments are stored under their SHA-256")
    existing = (await uow.session.execute(
        select(RecordingSegment).where(
            RecordingSegment.meeting_id == meeting.id, RecordingSegment.seat_id == seat.id,
            RecordingSegment.sha256 == report.sha256,
        )
    )).scalar_one_or_none()
    if existing is not None:
        return existing
    if not await services.storage.exists(report.sha256):
        raise SegmentRefused("not_found", "the segment file is not in storage")
    if await uow.session.get(StoredBlob, report.sha256) is None:
        uow.session.add(StoredBlob(sha256=report.sha256, size=report.size,
                                   content_type=SEGMENT_TYPE, created_at=services.clock.now()))
    last = (await uow.session.execute(
        select(func.max(RecordingSegment.sequence)).where(
            RecordingSegment.meeting_id == meeting.id, RecordingSegment.seat_id == seat.id,
            RecordingSegment.track == report.track,
        )
    )).scalar_one_or_none()
    segment = RecordingSegment(
        meeting_id=meeting.id, seat_id=seat.id, caucus_id=report.caucus_id, track=report.track,
        sequence=0 if last is None else last + 1, node_id=node_id,
        storage_key=report.storage_key, sha256=report.sha256, size=report.size,
        started_at=report.started_at, ended_at=report.ended_at,
        media_start_ms=report.media_start_ms, duration_ms=report.duration_ms,
        recorded_at=services.clock.now(),
    )
    uow.session.add(segment)
    await uow.session.flush()
    await audit(
        uow, services.clock, action="recording.segment", actor_label=f"media node {node_id}",
        subject_type="meeting", subject_id=meeting.id,
        data={"segment_id": segment.id, "seat_id": seat.id, "track": segment.track,
              "sequence": segment.sequence, "sha256": segment.sha256, "size": segment.size,
              "duration_ms": segment.duration_ms, "caucus_id": segment.caucus_id},
    )
    return segment


async def finalize_recording(uow: UnitOfWork, services: Services, meeting: Meeting) -> str | None:
    """Seal an ended meeting's recording: manifest on the meeting (audited), composition queued.

    Idempotent; a segment reported later (a slow node) seals a new manifest and
    queues a new composition. Returns the manifest, or None with no segment.
    """
    segments = await segments_of(uow, meeting.id)
    if not segments:
        return None
    manifest = manifest_sha256(segments)
    if meeting.manifest_sha256 == manifest:
        return manifest
    previous = meeting.manifest_sha256
    meeting.manifest_sha256 = manifest
    meeting.updated_at = services.clock.now()
    await audit(
        uow, services.clock, action="recording.manifest", actor_label="odr",
        subject_type="meeting", subject_id=meeting.id,
        data={"manifest_sha256": manifest, "segments": len(segments), "previous": previous},
    )
    playback = (await uow.session.execute(
        select(RecordingPlayback).where(RecordingPlayback.meeting_id == meeting.id)
    )).scalar_one_or_none()
    now = services.clock.now()
    if playback is None:
        playback = RecordingPlayback(meeting_id=meeting.id, manifest_sha256=manifest,
                                     requested_at=now)
        uow.session.add(playback)
    playback.manifest_sha256 = manifest
    playback.status = PlaybackStatus.PENDING
    playback.time_overlay = meeting.kind == MeetingKind.HEARING
    playback.requested_at, playback.finished_at, playback.error = now, None, ""
    await enqueue(uow, services.clock, kind=COMPOSE_KIND,
                  payload={"meeting_id": meeting.id, "manifest_sha256": manifest},
                  idempotency_key=f"{COMPOSE_KIND}:{meeting.id}:{manifest}")
    return manifest
