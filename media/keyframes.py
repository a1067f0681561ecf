"""Keyframe requests: relay a subscriber's PLI/FIR to the publisher, rate-limited.

aiortc's ``RTCRtpSender._handle_rtcp_packet`` answers a PLI or FIR by calling
``self._send_keyframe()``, which only sets a flag its own encoder reads. A
sender fed with pre-encoded frames has no encoder, so the request would be
lost. :func:`relay_keyframe_requests` replaces that method on one sender
instance (private API, pinned and tested in tests/media) with a callback that
reaches the publisher's receiver, which then sends an RTCP PLI upstream.

:class:`KeyframeRequester` coalesces requests: at most one PLI per
``min_interval`` seconds goes to a publisher; a request inside the window is
not dropped but deferred to the window's end, so a subscriber that joins just
after another still gets its keyframe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.rtp import RTCP_PSFB_PLI, RtcpPsfbPacket
from aiortc.sdp import SessionDescription

log = logging.getLogger(__name__)


def relay_keyframe_requests(sender: RTCRtpSender, on_request: Callable[[], None]) -> None:
    """Call ``on_request`` whenever the remote peer of ``sender`` sends PLI or FIR."""
    sender._send_keyframe = on_request  # type: ignore[method-assign]


def remote_media_ssrc(pc: RTCPeerConnection, transceiver: RTCRtpTransceiver) -> int | None:
    """The publisher's media SSRC for ``transceiver`` from the remote SDP.

    The first ``a=ssrc`` of the m-section (the second, if any, is RTX). A PLI
    must name it: browsers ignore a PLI for an SSRC they do not send.
    """
    remote = pc.remoteDescription
    if remote is None or transceiver.mid is None:
        return None
    for media in SessionDescription.parse(remote.sdp).media:
        if media.rtp.muxId == transceiver.mid and media.ssrc:
            return media.ssrc[0].ssrc
    return None


async def send_pli(receiver: RTCRtpReceiver, media_ssrc: int) -> None:
    """Send an RTCP Picture Loss Indication upstream from ``receiver``.

    Uses the receiver's own RTCP SSRC and transport, as aiortc does for the
    PLIs its jitter buffer asks for.
    """
    sender_ssrc = receiver._RTCRtpReceiver__rtcp_ssrc  # type: ignore[attr-defined]
    if sender_ssrc is None:
        return
    packet = RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=sender_ssrc, media_ssrc=media_ssrc)
    with contextlib.suppress(ConnectionError):
        await receiver.transport._send_rtp(bytes(packet))


class KeyframeRequester:
    """At most one upstream keyframe request per ``min_interval`` seconds.

    ``send`` performs one request (for example :func:`send_pli`). Requests
    inside the window are coalesced into one sent when the window ends.
    """

    def __init__(self, send: Callable[[], Awaitable[None]], min_interval: float = 0.5) -> None:
        self._send = send
        self.min_interval = min_interval
        self._last_sent: float | None = None
        self._deferred: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.requested = 0
        self.sent = 0

    def request(self) -> None:
        """Ask for a keyframe (sync: called from RTCP handlers and track code)."""
        self.requested += 1
        if self._deferred is not None:
            return  # already coalesced into the pending request
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._last_sent is None or now - self._last_sent >= self.min_interval:
            self._fire()
        else:
            delay = self._last_sent + self.min_interval - now
            self._deferred = loop.call_later(delay, self._fire_deferred)

    def _fire_deferred(self) -> None:
        self._deferred = None
        self._fire()

    def _fire(self) -> None:
        self._last_sent = asyncio.get_running_loop().time()
        self.sent += 1
        task = asyncio.ensure_future(self._send())
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("keyframe request failed: %r", task.exception())

    def close(self) -> None:
        if self._deferred is not None:
            self._deferred.cancel()
            self._deferred = None
        for task in self._tasks:
            task.cancel()
