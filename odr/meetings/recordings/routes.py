"""HTTP: a meeting's recording — segments and hashes, the manifest, the playback download.

``GET /api/v1/meetings/{id}/recordings`` and ``.../recordings/playback`` need
``RECORDING_READ`` (the host and the case's institution or court staff); every
download is audited. ``GET .../recordings/manifest`` shows every participant
(``MEETING_READ``) the hashes only — the manifest and each segment's SHA-256 —
so a party can confirm the recording's integrity (L32) without the media.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from odr.audit.chain import record as audit
from odr.cases.transitions import Who
from odr.db.uow import UnitOfWork
from odr.errors import NotFound
from odr.http.api import StrictModel, endpoint, ok, services_of
from odr.meetings.models import PlaybackStatus, RecordingPlayback
from odr.meetings.queries import load_meeting
from odr.meetings.recordings.segments import segments_of
from odr.policy import Actor, Permission, authorize

TAGS = ("recordings",)


class SegmentOut(StrictModel):
    id: int
    seat_id: int
    seat_name: str
    track: str
    sequence: int
    caucus_id: str | None
    sha256: str
    size: int
    started_at: datetime
    ended_at: datetime
    duration_ms: int


class PlaybackOut(StrictModel):
    status: str
    manifest_sha256: str
    sha256: str | None
    duration_ms: int
    time_overlay: bool
    error: str


class RecordingsOut(StrictModel):
    meeting_id: int
    recording_state: str
    manifest_sha256: str | None
    segments: list[SegmentOut]
    playback: PlaybackOut | None


class ManifestOut(StrictModel):
    meeting_id: int
    manifest_sha256: str | None
    segment_sha256: list[str]  # in manifest order (seat, track, sequence)


async def _playback(uow: UnitOfWork, meeting_id: int) -> RecordingPlayback | None:
    return (await uow.session.execute(
        select(RecordingPlayback).where(RecordingPlayback.meeting_id == meeting_id)
    )).scalar_one_or_none()


@endpoint(permission=Permission.RECORDING_READ, resp=RecordingsOut, tags=TAGS)
async def list_recordings(request: Request, actor: Actor) -> Response:
    """Every stored segment with its hash, the manifest, and the playback file's status."""
    services = services_of(request)
    async with services.db.reader() as uow:
        meeting, _case, view, seats = await load_meeting(
            uow, request.path_params["meeting_id"], services.clock.now())
        authorize(actor, Permission.RECORDING_READ, view)
        names = {s.id: s.display_name for s in seats}
        segments = await segments_of(uow, meeting.id)
        playback = await _playback(uow, meeting.id)
        return ok(RecordingsOut(
            meeting_id=meeting.id, recording_state=meeting.recording_state,
            manifest_sha256=meeting.manifest_sha256,
            segments=[SegmentOut(
                id=s.id, seat_id=s.seat_id, seat_name=names.get(s.seat_id, ""), track=s.track,
                sequence=s.sequence, caucus_id=s.caucus_id,  # type: ignore[arg-type]
                sha256=s.sha256, size=s.size, started_at=s.started_at, ended_at=s.ended_at,
                duration_ms=s.duration_ms,
            ) for s in segments],
            playback=None if playback is None else PlaybackOut(
                status=playback.status, manifest_sha256=playback.manifest_sha256,
                sha256=playback.blob_sha256, duration_ms=playback.duration_ms,
                time_overlay=playback.time_overlay, error=playback.error,
            ),
        ))


@endpoint(permission=Permission.MEETING_READ, resp=ManifestOut, tags=TAGS)
async def recording_manifest(request: Request, actor: Actor) -> Response:
    """The recording's integrity hashes, for every participant (no media)."""
    services = services_of(request)
    async with services.db.reader() as uow:
        meeting, _case, view, _seats = await load_meeting(
            uow, request.path_params["meeting_id"], services.clock.now())
        authorize(actor, Permission.MEETING_READ, view)
        segments = await segments_of(uow, meeting.id)
        return ok(ManifestOut(meeting_id=meeting.id, manifest_sha256=meeting.manifest_sha256,
                              segment_sha256=[s.sha256 for s in segments]))


@endpoint(permission=Permission.RECORDING_READ, tags=TAGS)
async def download_playback(request: Request, actor: Actor) -> Response:
    """The composed playback file (WebM); every download is audited."""
    services = services_of(request)
    meeting_id = request.path_params["meeting_id"]
    async with services.db.reader() as uow:
        _meeting, _case, view, _seats = await load_meeting(uow, meeting_id, services.clock.now())
        authorize(actor, Permission.RECORDING_READ, view)
        playback = await _playback(uow, meeting_id)
    if playback is None or playback.status != PlaybackStatus.DONE or playback.blob_sha256 is None:
        raise NotFound("the playback file is not ready", code="playback_not_ready")
    size = await services.storage.size(playback.blob_sha256)
    async with services.db.uow() as uow:
        who = Who.of(actor)
        await audit(uow, services.clock, action="recording.playback_downloaded",
                    actor_id=who.user_id, actor_label=who.label, subject_type="meeting",
                    subject_id=meeting_id,
                    data={"sha256": playback.blob_sha256, "manifest_sha256": playback.manifest_sha256})
    chunks = await services.storage.open_stream(playback.blob_sha256)
    return StreamingResponse(chunks, media_type="video/webm", headers={
        "Content-Disposition": f'attachment; filename="meeting-{meeting_id}.webm"',
        "Content-Length": str(size), "Cache-Control": "private, no-store",
        "X-Content-SHA256": playback.blob_sha256,
    })


routes = [
    Route("/api/v1/meetings/{meeting_id:int}/recordings", list_recordings, methods=["GET"]),
    Route("/api/v1/meetings/{meeting_id:int}/recordings/manifest", recording_manifest,
          methods=["GET"]),
    Route("/api/v1/meetings/{meeting_id:int}/recordings/playback", download_playback,
          methods=["GET"]),
]
