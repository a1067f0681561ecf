"""Network quality per participant as the media node sees it (issue 6 point 6).

From the participant's publish connection (what it sends us): incoming bitrate,
packet loss and jitter, and the frame rate of its video feed; from its
subscribe connection (what we send it): the round-trip time its receiver
reports. Rates are over the interval since the previous sample, so the first
sample of a connection has no rates yet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCPeerConnection

CLOCK_RATES = {"audio": 48_000, "video": 90_000}


@dataclass
class _Mark:
    at: float
    bytes_received: int
    received: int
    lost: int
    frames: int


@dataclass
class QualitySampler:
    """Keeps the previous counters of each seat, to turn totals into rates."""

    marks: dict[int, _Mark] = field(default_factory=dict)

    def forget(self, seat: int) -> None:
        self.marks.pop(seat, None)

    async def sample(
        self, seat: int, publish: RTCPeerConnection | None, subscribe: RTCPeerConnection | None,
        video_frames: int, now: float | None = None,
    ) -> dict[str, float]:
        """``bitrate_kbps``, ``loss_pct``, ``jitter_ms``, ``fps`` (publish) and ``rtt_ms`` (subscribe)."""
        now = time.monotonic() if now is None else now
        out: dict[str, float] = {}
        received = lost = bytes_received = 0
        jitters: list[float] = []
        if publish is not None:
            for stat in (await publish.getStats()).values():
                kind = getattr(stat, "type", "")
                if kind == "inbound-rtp":
                    received += int(stat.packetsReceived or 0)
                    lost += max(0, int(stat.packetsLost or 0))
                    rate = CLOCK_RATES.get(str(stat.kind), 90_000)
                    jitters.append(float(stat.jitter or 0) * 1000.0 / rate)
                elif kind == "transport":
                    bytes_received += int(stat.bytesReceived or 0)
        rtts: list[float] = []
        if subscribe is not None:
            for stat in (await subscribe.getStats()).values():
                if getattr(stat, "type", "") == "remote-inbound-rtp" and stat.roundTripTime:
                    rtts.append(float(stat.roundTripTime) * 1000.0)
        if jitters:
            out["jitter_ms"] = round(max(jitters), 1)
        if rtts:
            out["rtt_ms"] = round(max(rtts), 1)
        mark = self.marks.get(seat)
        if publish is not None:
            self.marks[seat] = _Mark(now, bytes_received, received, lost, video_frames)
        if mark is not None and publish is not None and now > mark.at:
            span = now - mark.at
            out["bitrate_kbps"] = round(max(0, bytes_received - mark.bytes_received) * 8 / 1000 / span, 1)
            got, missed = received - mark.received, max(0, lost - mark.lost)
            out["loss_pct"] = round(100.0 * missed / (got + missed), 2) if got + missed else 0.0
            out["fps"] = round(max(0, video_frames - mark.frames) / span, 1)
        return out


def drop_empty(seats: dict[int, dict[str, Any]]) -> dict[int, dict[str, float]]:
    return {seat: values for seat, values in seats.items() if values}
