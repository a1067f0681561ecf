"""SDP and ICE candidates between an admitted participant and its meeting's media node.

From a person, ``seat_id`` is refused: the server adds the caller's own seat
when it forwards to the node, so nobody negotiates in another's name. From a
node, ``seat_id`` names the participant, which must be a seat of a meeting
that node hosts; the server forwards without it.

Every SDP and candidate is checked before it goes anywhere (``check_sdp``,
``check_candidate``): it must parse as SDP, with at most ``MAX_M_LINES`` media
sections, only audio/video/application media over the WebRTC transports, and
well-formed candidates. Refused input gets the sender an ``error`` event and
never reaches the other end.

Offerers (protocol docstring): on ``publish`` the participant offers and the
node answers; on ``subscribe`` the node offers and the participant answers.
The first ``publish`` offer of a meeting without a live node assigns one.
"""

from __future__ import annotations

import ipaddress
import re

from odr.meetings.models import Meeting, MeetingSeat, MeetingStatus, SeatState
from odr.policy import Permission
from signaling.nodes import assign_node
from signaling.protocol import RtcCandidate, RtcRestart, RtcSdp
from signaling.registry import handles
from signaling.rooms import everyone_room, node_room, seat_room
from signaling.routing import queue_routes
from signaling.scope import EventScope, RoomError

MAX_M_LINES = 16
MAX_SDP_LINES = 2_000
MAX_SDP_LINE = 2_048
MAX_FORMATS = 64
MAX_CANDIDATE_EXTENSIONS = 16
MEDIA_KINDS = frozenset({"audio", "video", "application"})
PROTOCOLS = frozenset({
    "UDP/TLS/RTP/SAVPF", "UDP/TLS/RTP/SAVP", "RTP/SAVPF", "RTP/SAVP",
    "UDP/DTLS/SCTP", "DTLS/SCTP", "TCP/DTLS/SCTP",
})
_LINE = re.compile(r"^([a-z])=(.*)$")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_M_LINE = re.compile(r"^(\S+) (\d{1,5})(?:/\d{1,3})? (\S+) (\S+(?: \S+)*)$")
_FORMAT = re.compile(r"^(?:\d{1,3}|webrtc-datachannel)$")
_RTPMAP = re.compile(r"^rtpmap:\d{1,3} [A-Za-z0-9_.-]{1,32}/\d{1,6}(?:/\d{1,2})?$")
_CANDIDATE = re.compile(
    r"^(?:candidate:)?([A-Za-z0-9+/]{1,32}) (\d{1,3}) (udp|tcp) (\d{1,10}) (\S{1,253}) (\d{1,5})"
    r" typ (host|srflx|prflx|relay)((?: \S{1,32} \S{1,256})*)$",
    re.IGNORECASE,
)
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*$")
_TOKEN = re.compile(r"^[A-Za-z0-9_.~-]{1,32}$")


class BadMedia(ValueError):
    pass


def check_sdp(sdp: str) -> None:
    """Refuse (``BadMedia``) what is not a plausible WebRTC session description."""
    lines = sdp.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != "v=0":
        raise BadMedia("an SDP starts with v=0")
    if len(lines) > MAX_SDP_LINES:
        raise BadMedia("too many SDP lines")
    m_lines = 0
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_SDP_LINE or _CONTROL.search(line):
            raise BadMedia(f"line {number}: too long or holds control characters")
        match = _LINE.match(line)
        if match is None:
            raise BadMedia(f"line {number}: not a <type>=<value> line")
        kind, value = match.groups()
        if kind == "m":
            m_lines += 1
            if m_lines > MAX_M_LINES:
                raise BadMedia(f"at most {MAX_M_LINES} media sections")
            _check_m_line(number, value)
        elif kind == "a":
            if value.startswith("candidate:"):
                try:
                    check_candidate(value)
                except BadMedia as exc:
                    raise BadMedia(f"line {number}: {exc}") from exc
            elif value.startswith("rtpmap:") and not _RTPMAP.match(value):
                raise BadMedia(f"line {number}: malformed rtpmap")
        elif m_lines == 0:
            seen.add(kind)
    if not {"o", "s"} <= seen:
        raise BadMedia("the session needs o= and s= lines before the media")
    if m_lines == 0:
        raise BadMedia("no media section")


def _check_m_line(number: int, value: str) -> None:
    match = _M_LINE.match(value)
    if match is None:
        raise BadMedia(f"line {number}: malformed m= line")
    media, port, proto, formats = match.groups()
    if media not in MEDIA_KINDS:
        raise BadMedia(f"line {number}: media {media[:20]!r} is not audio, video or application")
    if int(port) > 65_535:
        raise BadMedia(f"line {number}: bad port")
    if proto not in PROTOCOLS:
        raise BadMedia(f"line {number}: transport {proto[:30]!r} is not a WebRTC transport")
    fmts = formats.split(" ")
    if len(fmts) > MAX_FORMATS or not all(_FORMAT.match(f) for f in fmts):
        raise BadMedia(f"line {number}: bad media formats")


def check_candidate(candidate: str, sdp_mid: str | None = None) -> None:
    """An ICE candidate line (RFC 8839 grammar); ``""`` (end of candidates) is fine."""
    if sdp_mid is not None and not _TOKEN.match(sdp_mid):
        raise BadMedia("malformed sdp_mid")
    if candidate == "":
        return
    match = _CANDIDATE.match(candidate)
    if match is None:
        raise BadMedia("malformed ICE candidate")
    _foundation, component, _transport, priority, address, port, _typ, extensions = match.groups()
    if not 1 <= int(component) <= 256 or int(priority) > 2**32 - 1 or int(port) > 65_535:
        raise BadMedia("ICE candidate numbers out of range")
    _check_address(address)
    pairs = extensions.split()
    if len(pairs) > 2 * MAX_CANDIDATE_EXTENSIONS:
        raise BadMedia("too many ICE candidate extensions")
    for name, value in zip(pairs[::2], pairs[1::2], strict=True):
        if not _TOKEN.match(name):
            raise BadMedia("malformed ICE candidate extension")
        if name == "raddr":
            _check_address(value)
        elif name == "rport" and (not value.isdigit() or int(value) > 65_535):
            raise BadMedia("bad ICE candidate rport")


def _check_address(address: str) -> None:
    try:
        ipaddress.ip_address(address)
        return
    except ValueError:
        pass
    if not _HOSTNAME.match(address):  # e.g. an mDNS name, <uuid>.local
        raise BadMedia("bad ICE candidate address")


def _check_offerer(pc: str, kind: str, *, from_node: bool) -> None:
    """publish: the participant offers; subscribe: the node offers (one offerer, no glare)."""
    offerer_is_node = pc == "subscribe"
    sends_offer = kind == "offer"
    if sends_offer != (offerer_is_node == from_node):
        who = "the media node" if offerer_is_node else "the participant"
        raise RoomError("invalid_message", f"on the {pc} connection only {who} offers")


def _refuse_bad(exc: BadMedia) -> RoomError:
    return RoomError("invalid_sdp", str(exc))


# ---------------------------------------------------------------- from a participant
@handles("rtc.sdp", Permission.ROOM_MEDIA)
async def person_sdp(scope: EventScope, message: RtcSdp) -> None:
    meeting, seat = scope.meeting, scope.seat
    assert meeting is not None and seat is not None
    if message.seat_id is not None:
        raise RoomError("invalid_message", "do not name a seat: yours is added by the server")
    _check_offerer(message.pc, message.type, from_node=False)
    try:
        check_sdp(message.sdp)
    except BadMedia as exc:
        raise _refuse_bad(exc) from exc
    assigned = meeting.media_node_id
    node = await assign_node(scope.uow, meeting, scope.now, settings=scope.services.settings)
    if node is None:
        raise RoomError("no_media_node", "no media server is available: try again shortly")
    if node.id != assigned:
        await queue_routes(scope)  # the newly assigned node learns the room first
        if assigned is not None:  # its node died unnoticed so far: everyone renegotiates
            restart = RtcRestart(meeting_id=meeting.id, reason="node_lost", node_available=True)
            scope.emit("rtc.restart", restart, room=everyone_room(meeting.id), skip_sid=scope.caller.sid)
    out = message.model_copy(update={"seat_id": seat.id})
    scope.emit("rtc.sdp", out, room=node_room(node.id))


@handles("rtc.candidate", Permission.ROOM_MEDIA, writes=False)
async def person_candidate(scope: EventScope, message: RtcCandidate) -> None:
    meeting, seat = scope.meeting, scope.seat
    assert meeting is not None and seat is not None
    if message.seat_id is not None:
        raise RoomError("invalid_message", "do not name a seat: yours is added by the server")
    try:
        check_candidate(message.candidate, message.sdp_mid)
    except BadMedia as exc:
        raise _refuse_bad(exc) from exc
    if meeting.media_node_id is None:
        raise RoomError("no_media_node", "send your publish offer first")
    out = message.model_copy(update={"seat_id": seat.id})
    scope.emit("rtc.candidate", out, room=node_room(meeting.media_node_id))


# ---------------------------------------------------------------- from a media node
async def _node_target(scope: EventScope, seat_id: int | None) -> MeetingSeat:
    if seat_id is None:
        raise RoomError("invalid_message", "a media node names the participant (seat_id)")
    seat = await scope.uow.session.get(MeetingSeat, seat_id)
    meeting = await scope.uow.session.get(Meeting, seat.meeting_id) if seat is not None else None
    if seat is None or meeting is None or meeting.media_node_id != scope.caller.node_id:
        raise RoomError("forbidden", "that participant is not in a meeting this node hosts")
    if meeting.status != MeetingStatus.OPEN or seat.state != SeatState.ADMITTED:
        raise RoomError("not_admitted", "that participant is not in the room")
    return seat


@handles("rtc.sdp", Permission.MEDIA_NODE_EVENT, caller="node", writes=False)
async def node_sdp(scope: EventScope, message: RtcSdp) -> None:
    seat = await _node_target(scope, message.seat_id)
    _check_offerer(message.pc, message.type, from_node=True)
    try:
        check_sdp(message.sdp)
    except BadMedia as exc:
        raise _refuse_bad(exc) from exc
    scope.emit("rtc.sdp", message.model_copy(update={"seat_id": None}),
               room=seat_room(seat.meeting_id, seat.id))


@handles("rtc.candidate", Permission.MEDIA_NODE_EVENT, caller="node", writes=False)
async def node_candidate(scope: EventScope, message: RtcCandidate) -> None:
    seat = await _node_target(scope, message.seat_id)
    try:
        check_candidate(message.candidate, message.sdp_mid)
    except BadMedia as exc:
        raise _refuse_bad(exc) from exc
    scope.emit("rtc.candidate", message.model_copy(update={"seat_id": None}),
               room=seat_room(seat.meeting_id, seat.id))
