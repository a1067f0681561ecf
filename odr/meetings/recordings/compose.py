"""The playback file: one WebM per meeting composed from its segments (outbox ``recordings.compose``).

This is the only place recordings are decoded and encoded (ffmpeg, in a
subprocess, off the event loop). The picture is a grid with one tile per
recorded seat; each seat's contiguous segments form one input placed at its
wall-clock offset from the first segment, so a pause leaves the tile black;
the audio of every seat is mixed. Hearings get a time overlay (L32): the
Beijing time of each moment, drawn with the CJK font of settings
(``pdf_cjk_font_path``).

Queued by ``finalize_recording`` when an ended meeting's manifest is sealed;
idempotent: a message for an older manifest, or a playback already done, is
skipped. A composition that fails is marked ``failed`` with ffmpeg's error.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import av
from sqlalchemy import select

from odr.audit.chain import record as audit
from odr.meetings.models import Meeting, PlaybackStatus, RecordingPlayback, RecordingSegment
from odr.meetings.recordings.segments import COMPOSE_KIND, SEGMENT_TYPE, segments_of
from odr.outbox.handlers import register_handler
from odr.outbox.models import OutboxMessage
from odr.services import Services
from odr.storage.base import CHUNK_SIZE
from odr.storage.models import StoredBlob

TILE = (320, 240)
FPS = 15
GAP_MS = 500  # segments further apart than this are separate runs (a pause, a move, a rejoin)
SHANGHAI = timedelta(hours=8)


@dataclass
class Run:
    """Contiguous segments of one seat: one ffmpeg input."""

    seat_id: int
    offset_ms: int  # from the first segment of the meeting
    duration_ms: int
    files: list[Path]
    audio: bool
    video: bool


def plan_runs(segments: list[RecordingSegment], files: dict[int, Path]) -> list[Run]:
    """Group each seat's segments (in order) into runs; pure."""
    if not segments:
        return []
    t0 = min(s.started_at for s in segments)
    runs: list[Run] = []
    by_seat: dict[int, list[RecordingSegment]] = {}
    for s in sorted(segments, key=lambda s: (s.seat_id, s.started_at, s.sequence)):
        by_seat.setdefault(s.seat_id, []).append(s)
    for seat_id, seat_segments in by_seat.items():
        current: Run | None = None
        end: datetime | None = None
        for s in seat_segments:
            audio, video = s.track in ("av", "audio"), s.track in ("av", "video")
            contiguous = (
                current is not None and end is not None
                and (s.started_at - end) <= timedelta(milliseconds=GAP_MS)
                and (current.audio, current.video) == (audio, video)
            )
            if not contiguous:
                current = Run(seat_id, _ms(s.started_at - t0), 0, [], audio, video)
                runs.append(current)
            assert current is not None
            current.files.append(files[s.id])
            current.duration_ms += s.duration_ms
            end = s.started_at + timedelta(milliseconds=s.duration_ms)
    return runs


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)


def filter_graph(runs: list[Run], seats: list[int], *, overlay_epoch: int | None,
                 font: Path) -> tuple[str, bool, bool, int]:
    """The ffmpeg filter graph: (graph, has video, has audio, total ms); pure."""
    total = max(r.offset_ms + r.duration_ms for r in runs)
    cols = math.ceil(math.sqrt(len(seats)))
    rows = math.ceil(len(seats) / cols)
    w, h = TILE
    lines: list[str] = []
    video_runs = [(i, r) for i, r in enumerate(runs) if r.video]
    audio_runs = [(i, r) for i, r in enumerate(runs) if r.audio]
    if video_runs:
        lines.append(f"color=c=black:s={cols * w}x{rows * h}:r={FPS}:d={total / 1000:.3f}[base0]")
        for n, (i, r) in enumerate(video_runs):
            row, col = divmod(seats.index(r.seat_id), cols)
            lines.append(
                f"[{i}:v]setpts=PTS-STARTPTS+{r.offset_ms / 1000:.3f}/TB,"
                f"scale={w}:{h}:force_original_aspect_ratio=decrease,"
                f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2[v{n}]"
            )
            lines.append(f"[base{n}][v{n}]overlay={col * w}:{row * h}:eof_action=pass[base{n + 1}]")
        last = f"base{len(video_runs)}"
        if overlay_epoch is not None:
            text = f"北京时间 %{{pts\\:gmtime\\:{overlay_epoch}}}"
            lines.append(
                f"[{last}]drawtext=fontfile='{font}':text='{text}':x=10:y=10:fontsize=18:"
                f"fontcolor=white:box=1:boxcolor=black@0.6,format=yuv420p[vout]"
            )
        else:
            lines.append(f"[{last}]format=yuv420p[vout]")
    if audio_runs:
        for n, (i, r) in enumerate(audio_runs):
            lines.append(
                f"[{i}:a]asetpts=PTS-STARTPTS,aresample=48000,adelay={r.offset_ms}:all=1[a{n}]"
            )
        inputs = "".join(f"[a{n}]" for n in range(len(audio_runs)))
        lines.append(f"{inputs}amix=inputs={len(audio_runs)}:duration=longest:normalize=0,"
                     f"asetnsamples=n=960:p=0[aout]")
    return ";\n".join(lines), bool(video_runs), bool(audio_runs), total


class ComposeFailed(Exception):
    pass


async def run_ffmpeg(ffmpeg: str, runs: list[Run], graph: str, has_video: bool, has_audio: bool,
                     total_ms: int, workdir: Path) -> Path:
    argv = [ffmpeg, "-nostdin", "-v", "error", "-y"]
    for n, r in enumerate(runs):
        listing = workdir / f"run{n}.ffconcat"
        listing.write_text("ffconcat version 1.0\n" + "".join(f"file '{f}'\n" for f in r.files))
        argv += ["-f", "concat", "-safe", "0", "-i", str(listing)]
    script = workdir / "graph.txt"
    script.write_text(graph)
    out = workdir / "playback.webm"
    argv += ["-filter_complex_script", str(script)]
    if has_video:
        argv += ["-map", "[vout]", "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8",
                 "-b:v", "800k", "-r", str(FPS)]
    if has_audio:
        argv += ["-map", "[aout]", "-c:a", "libopus", "-b:a", "64k"]
    argv += ["-t", f"{total_ms / 1000:.3f}", "-f", "webm", str(out)]
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise ComposeFailed(err.decode(errors="replace")[-480:] or f"ffmpeg exited {proc.returncode}")
    return out


def _duration_ms(path: Path) -> int:
    with av.open(str(path)) as container:
        return int((container.duration or 0) / 1000)


async def _fetch(services: Services, sha256: str, dest: Path) -> None:
    chunks = await services.storage.open_stream(sha256, chunk_size=CHUNK_SIZE)
    f = await asyncio.to_thread(dest.open, "wb")
    try:
        async for chunk in chunks:
            await asyncio.to_thread(f.write, chunk)
    finally:
        f.close()


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    f = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(f.read, CHUNK_SIZE):
            yield chunk
    finally:
        f.close()


async def compose_playback(services: Services, meeting_id: int, manifest: str) -> None:
    async with services.db.reader() as uow:
        meeting = await uow.session.get(Meeting, meeting_id)
        playback = (await uow.session.execute(
            select(RecordingPlayback).where(RecordingPlayback.meeting_id == meeting_id)
        )).scalar_one_or_none()
        if meeting is None or playback is None or playback.manifest_sha256 != manifest:
            return  # a newer manifest has its own message
        if playback.status == PlaybackStatus.DONE:
            return
        segments = await segments_of(uow, meeting_id)
        overlay = playback.time_overlay
    settings = services.settings
    spool = settings.var_dir / "spool"
    spool.mkdir(parents=True, exist_ok=True)
    error = ""
    ref = None
    duration = 0
    with tempfile.TemporaryDirectory(dir=spool, prefix="compose-") as tmp:
        workdir = Path(tmp)
        files: dict[int, Path] = {}
        for s in segments:
            files[s.id] = workdir / f"seg{s.id}.webm"
            await _fetch(services, s.sha256, files[s.id])
        runs = plan_runs(segments, files)
        seats = sorted({r.seat_id for r in runs})
        epoch = None
        if overlay and segments:
            first = min(s.started_at for s in segments)
            epoch = int((first + SHANGHAI).timestamp())
        try:
            graph, has_video, has_audio, total = filter_graph(
                runs, seats, overlay_epoch=epoch, font=settings.pdf_cjk_font_path)
            out = await run_ffmpeg(settings.ffmpeg_path, runs, graph, has_video, has_audio,
                                   total, workdir)
            duration = await asyncio.to_thread(_duration_ms, out)
            ref = await services.storage.put_stream(_file_chunks(out))
        except (ComposeFailed, OSError, ValueError) as exc:
            error = str(exc)[:500] or exc.__class__.__name__
    async with services.db.uow() as uow:
        playback = (await uow.session.execute(
            select(RecordingPlayback).where(RecordingPlayback.meeting_id == meeting_id)
            .with_for_update()
        )).scalar_one_or_none()
        if playback is None or playback.manifest_sha256 != manifest:
            return
        now = services.clock.now()
        playback.finished_at = now
        if ref is None:
            playback.status, playback.error = PlaybackStatus.FAILED, error
        else:
            if await uow.session.get(StoredBlob, ref.sha256) is None:
                uow.session.add(StoredBlob(sha256=ref.sha256, size=ref.size,
                                           content_type=SEGMENT_TYPE, created_at=now))
                await uow.session.flush()
            playback.status, playback.blob_sha256 = PlaybackStatus.DONE, ref.sha256
            playback.duration_ms, playback.error = duration, ""
        await audit(
            uow, services.clock, action=f"recording.playback_{playback.status}", actor_label="odr",
            subject_type="meeting", subject_id=meeting_id,
            data={"manifest_sha256": manifest, "sha256": playback.blob_sha256,
                  "size": ref.size if ref else None, "duration_ms": playback.duration_ms,
                  "time_overlay": playback.time_overlay, "error": playback.error},
        )


async def handle_compose(services: Services, message: OutboxMessage) -> None:
    await compose_playback(services, int(message.payload["meeting_id"]),
                           str(message.payload["manifest_sha256"]))


register_handler(COMPOSE_KIND, handle_compose)
