"""The live room protocol, version 1: every message of the ``/room`` namespace.

Two kinds of client speak it: people (browsers, test bots) holding a room
token, and media nodes (``odr media``) holding a node credential. Each event
name maps to one pydantic model (``CLIENT_EVENTS`` for what clients send,
``SERVER_EVENTS`` for what the server emits); ``odr room-schema`` writes
them as JSON Schema to ``signaling/schema/room-v1.json``, from which the frontend
generates its types (``npm run gen:room-types``).

Rules every handler keeps:

* A client message is validated against its model before anything else; an
  invalid one gets an ``error`` event (and the ack, if the client asked for
  one, is ``{"ok": false, "error": {...}}``), is logged, and never reaches
  anyone else. Unknown events are errors too.
* Acks: every client event may carry a socket.io callback; the server answers
  ``{"ok": true, ...}`` or ``{"ok": false, "error": {"code", "message"}}``.
* Offers. Each participant has two peer connections with the media node:
  ``publish`` (the participant offers, the node answers) and ``subscribe``
  (the node offers, the participant answers). Each connection has exactly one
  offerer, so offers never clash (no glare); a node renegotiates a subscribe
  connection only after the previous answer arrived (one offer in flight per
  connection). ICE candidates may trickle either way and are queued by the
  receiver until its remote description is set. Each offer the node sends
  on a subscribe connection carries a ``layout`` (mid -> seat id), so a
  page shows each received track under the right participant even when a
  receive slot is reused for another seat (m-lines stay bounded).
* Routing. Who may receive whom is decided by signaling from the room state
  (lobby: nobody; caucus: only its members; muted by the host: no audio) and
  sent to the room's media node as ``node.routes`` with an increasing
  ``version``; the node applies it and answers ``node.routes_ack``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints
from pydantic.json_schema import models_json_schema

PROTOCOL_VERSION = 1
NAMESPACE = "/room"

MAX_SDP_BYTES = 32_768  # a browser offer with audio+video is 4-8 kB
MAX_CANDIDATE_BYTES = 1_024
MAX_CHAT_CHARS = 2_000
MAX_RECORD_CHARS = 200_000
MAX_REASON_CHARS = 500

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_REASON_CHARS)]
CaucusId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
PcKind = Literal["publish", "subscribe"]


class Message(BaseModel):
    """Base of every message: unknown fields are refused."""

    model_config = {"extra": "forbid", "str_strip_whitespace": True}


# ---------------------------------------------------------------- connecting
class ConnectAuth(Message):
    """The ``auth`` payload of the socket.io connect.

    A person gives ``token`` (a room token from ``POST /api/v1/meetings/{id}/room-token``)
    or, to take its seat back after a dropped connection, ``resume`` (seat id and
    the resume key it got in ``joined``). A media node gives ``node`` and ``credential``.
    """

    v: Literal[1] = 1
    # The meeting the client means to join: a token (or seat) of another meeting is refused.
    meeting_id: int | None = None
    token: str | None = Field(default=None, max_length=4_096)
    resume_seat: int | None = None
    resume_key: str | None = Field(default=None, max_length=200)
    node: str | None = Field(default=None, max_length=64)
    credential: str | None = Field(default=None, max_length=200)


# ---------------------------------------------------------------- client -> server
class Empty(Message):
    pass


class SeatTarget(Message):
    seat_id: int


class LobbyDeny(Message):
    seat_id: int
    reason: Reason


class EntryCode(Message):
    """The fresh one-time code sent to the participant's verified mobile at entry (L2)."""

    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class VisualCheck(Message):
    """The host compared the participant's face with its ID document (L2)."""

    seat_id: int
    matches: bool
    note: str = Field(default="", max_length=MAX_REASON_CHARS)


class ChatSend(Message):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CHAT_CHARS)]


class HandRaise(Message):
    raised: bool


class Mute(Message):
    seat_id: int
    kind: Literal["audio", "video"]
    muted: bool  # False: ask to unmute (the participant decides), never force it on


class Remove(Message):
    seat_id: int
    reason: Reason


class Lock(Message):
    locked: bool


class Delegate(Message):
    seat_id: int
    controls: list[Literal["admit", "mute", "remove", "lock", "caucus", "recording", "record", "end"]]


class CaucusOpen(Message):
    seat_ids: list[int] = Field(min_length=1, max_length=50)
    label: str = Field(default="", max_length=200)


class CaucusClose(Message):
    caucus_id: CaucusId


class RecordingConsent(Message):
    consent: bool


class RecordingControl(Message):
    action: Literal["start", "stop", "pause", "resume"]


class SessionRecordUpdate(Message):
    """The host's session record (笔录); ``base_version`` detects a concurrent edit."""

    body: str = Field(max_length=MAX_RECORD_CHARS)
    base_version: int = Field(ge=0)


class FactPropose(Message):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CHAT_CHARS)]


class FactConfirm(Message):
    fact_id: int
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]  # the text the party saw


class Leave(Message):
    """Leaving on one's own. In a hearing, ``permission_requested`` asks the judge first (L29)."""

    permission_requested: bool = False


class Warn(Message):
    seat_id: int
    reason: Reason


class GrantLeave(Message):
    seat_id: int


class RtcSdp(Message):
    """An offer or answer between a participant and the media node.

    From a participant: ``pc`` says which of its connections; the server adds
    the seat when it forwards to the node. From a node: ``seat_id`` names the
    participant it is for. The SDP is relayed verbatim (not stripped: it ends with CRLF).
    """

    model_config = {"extra": "forbid", "str_strip_whitespace": False}

    pc: PcKind
    type: Literal["offer", "answer"]
    sdp: str = Field(min_length=1, max_length=MAX_SDP_BYTES)
    seat_id: int | None = None
    # A node's subscribe offer: which seat each m-line (by mid) carries now; None = unused slot.
    layout: dict[str, int | None] | None = Field(default=None, max_length=64)


class RtcCandidate(Message):
    pc: PcKind
    candidate: str = Field(max_length=MAX_CANDIDATE_BYTES)  # "" ends the candidates
    sdp_mid: str | None = Field(default=None, max_length=32)
    sdp_mline_index: int | None = Field(default=None, ge=0, le=64)
    seat_id: int | None = None


class NodeHeartbeat(Message):
    rooms: int = Field(ge=0)
    streams: int = Field(ge=0)
    cpu_load: float = Field(ge=0)


class NodeRoutesAck(Message):
    meeting_id: int
    version: int = Field(ge=0)


class NodeStats(Message):
    """Per participant network quality as the node sees it (issue 6 point 6)."""

    meeting_id: int
    seats: dict[int, dict[str, float]]


class NodeRecordingEvent(Message):
    """The node reports a recording change it could not avoid (disk full, track lost)."""

    meeting_id: int
    state: Literal["recording", "stopped", "failed"]
    detail: str = Field(default="", max_length=MAX_REASON_CHARS)


Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class NodeSegment(Message):
    """A closed, fsynced recording segment of one seat (WebM, audio and video as sent).

    The node has moved the file to storage (``storage_key``); signaling stores
    the row, numbers it per seat and track, and appends ``sha256`` to the audit chain.
    """

    meeting_id: int
    seat_id: int
    track: Literal["av", "audio", "video"]
    sequence: int = Field(ge=0)  # the node's own count (a restarted node starts again)
    storage_key: str = Field(min_length=1, max_length=500)
    sha256: Sha256Hex
    size: int = Field(ge=0)
    caucus_id: CaucusId | None = None  # the caucus the seat was in (from the routes)
    started_at: datetime
    ended_at: datetime
    media_start_ms: int = Field(ge=0)
    duration_ms: int = Field(ge=0)


class NodeRecordingClosed(Message):
    """The node records no seat of the meeting any more and has reported every segment."""

    meeting_id: int
    segments: int = Field(ge=0)  # segments this node reported for the meeting


CLIENT_EVENTS: dict[str, type[Message]] = {
    "lobby.admit": SeatTarget,
    "lobby.deny": LobbyDeny,
    "lobby.return": SeatTarget,
    "entry.code": EntryCode,
    "entry.visual_check": VisualCheck,
    "entry.ack_warning": Empty,
    "chat.send": ChatSend,
    "hand.raise": HandRaise,
    "moderation.mute": Mute,
    "moderation.remove": Remove,
    "moderation.lock": Lock,
    "moderation.delegate": Delegate,
    "moderation.warn": Warn,
    "moderation.grant_leave": GrantLeave,
    "meeting.end": Empty,
    "caucus.open": CaucusOpen,
    "caucus.close": CaucusClose,
    "recording.consent": RecordingConsent,
    "recording.control": RecordingControl,
    "record.update": SessionRecordUpdate,
    "fact.propose": FactPropose,
    "fact.confirm": FactConfirm,
    "leave": Leave,
    "rtc.sdp": RtcSdp,
    "rtc.candidate": RtcCandidate,
    # media nodes only
    "node.heartbeat": NodeHeartbeat,
    "node.routes_ack": NodeRoutesAck,
    "node.stats": NodeStats,
    "node.recording": NodeRecordingEvent,
    "node.segment": NodeSegment,
    "node.recording_closed": NodeRecordingClosed,
}


# ---------------------------------------------------------------- server -> client
class ErrorEvent(Message):
    code: str  # invalid_message | unknown_event | forbidden | not_admitted | rate_limited | conflict | ...
    message: str
    event: str | None = None  # the client event that failed


class SeatInfo(Message):
    """A participant as others see it (identity details only to hosts, in ``lobby``)."""

    seat_id: int
    role: str
    side: str | None
    display_name: str
    state: str
    caucus_id: str | None
    connected: bool
    audio_muted_by_host: bool
    video_muted_by_host: bool
    hand_raised: bool


class Joined(Message):
    """To the joiner: its seat, and the key to resume it after a drop."""

    v: Literal[1] = 1
    meeting_id: int
    seat: SeatInfo
    resume_key: str
    resumed: bool
    warning_required: bool  # the sham-mediation warning must be acknowledged (L9)
    entry_code_required: bool  # a fresh one-time code must be entered (L2)
    recording_state: str
    locked: bool
    server_time: str


class Roster(Message):
    """To admitted participants: who is in the room (their caucus's view)."""

    meeting_id: int
    seats: list[SeatInfo]


class LobbyEntry(Message):
    seat: SeatInfo
    verified_name: str | None  # the real name of the verified account (L2)
    identity_level: str | None
    id_doc_masked: str | None  # e.g. 3101**********1234
    entry_code_verified: bool
    warning_acknowledged: bool
    waiting_since: str | None


class Lobby(Message):
    """To hosts (and co-hosts with ``admit``): who waits."""

    meeting_id: int
    waiting: list[LobbyEntry]


class ChatOut(Message):
    id: int
    seat_id: int
    display_name: str
    caucus_id: str | None
    text: str
    at: str


class RecordingStateOut(Message):
    meeting_id: int
    state: str
    consents: dict[int, bool | None]  # seat id -> consent
    written_record_required: bool
    detail: str = ""  # why it changed when nobody chose it (e.g. the node's disk is full)


class Ended(Message):
    meeting_id: int
    reason: str
    manifest_sha256: str | None = None


class SeatNotice(Message):
    """What happened to one seat, sent to that seat (and, for ``leave_requested``, to hosts)."""

    meeting_id: int
    change: Literal[
        "admitted", "denied", "returned_to_lobby", "removed", "muted", "unmute_requested",
        "delegated", "warned", "leave_granted", "leave_requested", "visual_check",
    ]
    seat: SeatInfo
    reason: str | None = None
    controls: list[str] | None = None  # ``delegated``: the controls the co-host now holds


class RoomState(Message):
    """To everyone in the meeting: its status and lock."""

    meeting_id: int
    status: str
    locked: bool


class RtcRestart(Message):
    """To a meeting's participants: the media node changed (the old one died); renegotiate.

    Close both peer connections and offer a new ``publish`` connection; the new
    node offers ``subscribe``. ``node_available`` False: no live node yet, wait
    for the next ``rtc.restart``.
    """

    meeting_id: int
    reason: Literal["node_lost"]
    node_available: bool


class NetworkStats(Message):
    """To the host (and co-hosts): per participant network quality seen by the media node."""

    meeting_id: int
    seats: dict[int, dict[str, float]]  # seat id -> bitrate, loss, jitter, rtt, fps ...
    at: str


class FactOut(Message):
    """An undisputed fact proposed by the host and who confirmed its exact text (L11, L12)."""

    id: int
    meeting_id: int
    text: str
    sha256: str
    proposed_at: str
    confirmed_sides: list[str]
    confirmed: bool  # both sides confirmed


class SessionRecordOut(Message):
    """To hosts: a new version of the session record (笔录) was saved."""

    meeting_id: int
    version: int
    sha256: str
    at: str


class Routes(Message):
    """To the media node: for each subscriber seat, which publisher seats' audio/video it gets."""

    meeting_id: int
    version: int
    receive: dict[int, dict[str, list[int]]]  # subscriber -> {"audio": [...], "video": [...]}
    recording: list[int]  # seats whose media is recorded now
    # Admitted seats in a caucus -> its id: a recorded segment never spans a move between rooms
    # and says which caucus it belongs to (L11: caucus recordings stay out of court transfers).
    caucus: dict[int, str] = Field(default_factory=dict)


SERVER_EVENTS: dict[str, type[Message]] = {
    "error": ErrorEvent,
    "joined": Joined,
    "roster": Roster,
    "lobby": Lobby,
    "chat": ChatOut,
    "recording": RecordingStateOut,
    "ended": Ended,
    "seat": SeatNotice,
    "room": RoomState,
    "rtc.sdp": RtcSdp,
    "rtc.candidate": RtcCandidate,
    "node.routes": Routes,
    "rtc.restart": RtcRestart,
    "stats": NetworkStats,
    "fact": FactOut,
    "record": SessionRecordOut,
}


def json_schema() -> dict[str, Any]:
    """The whole protocol as one JSON Schema document (``signaling/schema/room-v1.json``).

    Every model is a ``$defs`` entry; ``x-client-events`` and ``x-server-events``
    map event names to them (the frontend generates its types from this file).
    """
    models: list[type[Message]] = [ConnectAuth, *CLIENT_EVENTS.values(), *SERVER_EVENTS.values()]
    unique = list(dict.fromkeys(models))
    _, top = models_json_schema(
        [(m, "validation") for m in unique], ref_template="#/$defs/{model}"
    )

    def ref(model: type[Message]) -> str:
        return f"#/$defs/{model.__name__}"

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "RoomProtocol",
        "description": f"odr room protocol v{PROTOCOL_VERSION}, socket.io namespace {NAMESPACE}",
        "x-version": PROTOCOL_VERSION,
        "x-namespace": NAMESPACE,
        "x-connect": ref(ConnectAuth),
        "x-client-events": {name: ref(m) for name, m in CLIENT_EVENTS.items()},
        "x-server-events": {name: ref(m) for name, m in SERVER_EVENTS.items()},
        "$defs": top["$defs"],
    }


def schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


SCHEMA_PATH = Path(__file__).parent / "schema" / "room-v1.json"
