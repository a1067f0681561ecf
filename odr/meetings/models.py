"""Meetings: the scheduled video rooms of a case, their seats and what happens in them.

The database is the room's source of truth. Every web process (and, when
scaled out, every one of several) reads a seat's state from here, so a
participant reconnecting through another process keeps its seat, and a
restarted process loses nothing. socket.io rooms only carry messages.

A *seat* (``MeetingSeat``) is one person's place in one meeting: invited,
waiting in the lobby, admitted (in the main room or a caucus), or gone. A
guest (witness, interpreter) has a seat with no user account, reached by a
one-time invite link and checked by a one-time code to its mobile at entry.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base
from odr.db.types import JSONType


class MeetingKind(StrEnum):
    MEDIATION = "mediation"
    HEARING = "hearing"


class SessionMode(StrEnum):
    """L10: all parties at once, or (with consent) each side at its own time."""

    JOINT = "joint"
    SEPARATE = "separate"


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"  # the host has entered; the room runs
    ENDED = "ended"
    CANCELLED = "cancelled"


class SeatRole(StrEnum):
    HOST = "host"  # the case's mediator, or the presiding judge
    CO_HOST = "co_host"  # e.g. a clerk; does what the host delegates
    PARTY = "party"
    AGENT = "agent"
    WITNESS = "witness"  # a guest
    INTERPRETER = "interpreter"  # a guest
    OBSERVER = "observer"


GUEST_ROLES = frozenset({SeatRole.WITNESS, SeatRole.INTERPRETER})
HOST_ROLES = frozenset({SeatRole.HOST, SeatRole.CO_HOST})


class SeatState(StrEnum):
    INVITED = "invited"  # never connected yet
    LOBBY = "lobby"  # connected, waiting for the host
    ADMITTED = "admitted"  # in the room (main room, or the caucus named by ``caucus_id``)
    LEFT = "left"  # left, or dropped and not back within the grace period
    DENIED = "denied"  # the host refused entry
    REMOVED = "removed"  # the host removed it; it cannot come back to this meeting


class Control(StrEnum):
    """Host controls a host may delegate to a co-host (``MeetingSeat.delegated``)."""

    ADMIT = "admit"  # admit, deny, send back to the lobby
    MUTE = "mute"
    REMOVE = "remove"
    LOCK = "lock"
    CAUCUS = "caucus"
    RECORDING = "recording"
    RECORD = "record"  # write the session record (笔录)
    END = "end"


class RecordingState(StrEnum):
    OFF = "off"  # not (yet) recording
    ON = "on"
    REFUSED = "refused"  # someone refused: nothing is recorded, the written record is mandatory (L12)
    PAUSED = "paused"  # hearings: recess or non-public evidence (L32)


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(20), default=SessionMode.JOINT)
    # SEPARATE mode: the side this session is for (L10); None for a joint session.
    side: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300), default="", server_default="")
    status: Mapped[str] = mapped_column(String(20), default=MeetingStatus.SCHEDULED, index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]  # planned end; the room stays open past it until ended
    host_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    locked: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    recording_state: Mapped[str] = mapped_column(String(20), default=RecordingState.OFF)
    # Bumped on every change of who may receive whom; the media node acknowledges it.
    routing_version: Mapped[int] = mapped_column(default=0, server_default="0")
    media_node_id: Mapped[str | None] = mapped_column(ForeignKey("media_nodes.id"))
    opened_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    cancelled_reason: Mapped[str | None] = mapped_column(Text)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))  # over all recording segments
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_meetings_starts_at_status", "starts_at", "status"),)


class MeetingSeat(Base):
    """One person's place in one meeting, and its live state."""

    __tablename__ = "meeting_seats"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # None: a guest
    role: Mapped[str] = mapped_column(String(20))
    side: Mapped[str | None] = mapped_column(String(20))  # applicant | respondent for parties/agents
    display_name: Mapped[str] = mapped_column(String(200))
    # Guests: a one-time invite link (hash of its token) and the mobile the entry code goes to.
    invite_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_used_at: Mapped[datetime | None]
    guest_mobile_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    guest_id_doc_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Live state
    state: Mapped[str] = mapped_column(String(20), default=SeatState.INVITED)
    caucus_id: Mapped[str | None] = mapped_column(String(40))  # None: the main room
    audio_muted_by_host: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    video_muted_by_host: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    hand_raised: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    delegated: Mapped[list[str]] = mapped_column(JSONType, default=list)  # Control values
    connected: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    connection_sid: Mapped[str | None] = mapped_column(String(64))
    dropped_at: Mapped[datetime | None]  # transport lost; the seat is kept for the grace period
    # Reconnection within the grace period: hash of a per-seat secret handed out at join.
    resume_key_hash: Mapped[str | None] = mapped_column(String(64))
    # Entry checks (L2, L9), per meeting
    entry_code_verified_at: Mapped[datetime | None]  # the fresh one-time code at entry
    visual_id_checked_at: Mapped[datetime | None]  # the host compared face and ID document
    visual_id_checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    visual_id_note: Mapped[str | None] = mapped_column(Text)
    warning_acknowledged_at: Mapped[datetime | None]  # the sham-mediation warning (L9)
    # Recording consent (L12, L32): None not yet asked/answered, True given, False refused
    recording_consent: Mapped[bool | None]
    recording_consent_at: Mapped[datetime | None]
    # Hearings (L29): a warning given by the judge, leave granted
    warned_at: Mapped[datetime | None]
    leave_permitted_at: Mapped[datetime | None]
    no_show_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index(
            "uq_meeting_seats_meeting_user",
            "meeting_id",
            "user_id",
            unique=True,
            sqlite_where=text("user_id IS NOT NULL"),
            postgresql_where=text("user_id IS NOT NULL"),
        ),
    )


class AttendanceKind(StrEnum):
    """What happened to a seat, persisted with its time (issue 5 point 7, L29)."""

    JOINED = "joined"  # connected (into the lobby, or straight in for the host)
    ADMITTED = "admitted"
    DENIED = "denied"
    RETURNED_TO_LOBBY = "returned_to_lobby"
    LEFT = "left"  # left on its own
    LEFT_WITH_PERMISSION = "left_with_permission"
    LEFT_WITHOUT_PERMISSION = "left_without_permission"  # after a warning (L29)
    DROPPED = "dropped"  # transport lost (network or equipment failure, L29)
    RECONNECTED = "reconnected"  # back within the grace period, seat kept
    DROP_EXPIRED = "drop_expired"  # not back within the grace period
    REMOVED = "removed"
    WARNED = "warned"
    NO_SHOW = "no_show"  # never came; with its reason
    MOVED_TO_CAUCUS = "moved_to_caucus"
    RETURNED_FROM_CAUCUS = "returned_from_caucus"


class AttendanceEvent(Base):
    __tablename__ = "meeting_attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    seat_id: Mapped[int] = mapped_column(ForeignKey("meeting_seats.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who caused it, if not the seat
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class ChatMessage(Base):
    """Chat in the room; ``caucus_id`` set: only that caucus ever saw it (L11)."""

    __tablename__ = "meeting_chat"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    seat_id: Mapped[int] = mapped_column(ForeignKey("meeting_seats.id", ondelete="CASCADE"))
    caucus_id: Mapped[str | None] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class Caucus(Base):
    """A private caucus (背靠背) of one meeting; members are the seats whose ``caucus_id`` is it."""

    __tablename__ = "meeting_caucuses"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(200), default="", server_default="")
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Recording a caucus needs its members' consent (L12); None until asked.
    recording_consented: Mapped[bool | None]


class SessionRecord(Base):
    """The mediator's written session record (笔录, L12), kept in versions."""

    __tablename__ = "meeting_session_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("meeting_id", "version"),)


class UndisputedFact(Base):
    """A fact both parties confirm as undisputed (L11, L12): the exception to confidentiality."""

    __tablename__ = "meeting_undisputed_facts"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]  # when the last required party confirmed
    withdrawn_at: Mapped[datetime | None]


class FactConfirmation(Base):
    """One party's signature on one undisputed fact (bound to the fact's text hash)."""

    __tablename__ = "meeting_fact_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    fact_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_undisputed_facts.id", ondelete="CASCADE"), index=True
    )
    seat_id: Mapped[int] = mapped_column(ForeignKey("meeting_seats.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    side: Mapped[str] = mapped_column(String(20))
    fact_sha256: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("fact_id", "user_id"),)


class RescheduleStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class RescheduleRequest(Base):
    __tablename__ = "meeting_reschedule_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    proposed_starts_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default=RescheduleStatus.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class RoomTokenUse(Base):
    """Each room token's id, once used: a replayed token is refused."""

    __tablename__ = "meeting_room_token_uses"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("meeting_seats.id", ondelete="CASCADE"))
    used_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class MediaNodeStatus(StrEnum):
    ACTIVE = "active"
    DRAINING = "draining"  # takes no new rooms
    DEAD = "dead"  # missed its heartbeats; its rooms move


class MediaNode(Base):
    """A media service process (``odr media``): its identity, heartbeat and load.

    A node authenticates to signaling with a credential (hash stored here) and
    the ``media_node`` role; signaling assigns each open meeting to one node
    (``Meeting.media_node_id``) by load.
    """

    __tablename__ = "media_nodes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the node's name
    credential_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=MediaNodeStatus.ACTIVE)
    last_heartbeat_at: Mapped[datetime | None]
    rooms: Mapped[int] = mapped_column(default=0, server_default="0")
    streams: Mapped[int] = mapped_column(default=0, server_default="0")
    cpu_load: Mapped[float] = mapped_column(default=0.0, server_default="0")
    registered_at: Mapped[datetime]


class RecordingSegment(Base):
    """One closed piece of one participant's recording (WebM, audio and video as sent).

    The media node writes segments of a few seconds' length, fsyncs each
    closed file, and reports it (``node.segment``); signaling stores this row
    and appends the SHA-256 to the audit chain, so a crash loses at most the
    open segment and an edited or missing file shows. ``caucus_id`` is set for
    what was recorded inside a caucus (L11: kept out of court transfers).
    """

    __tablename__ = "meeting_recording_segments"
    __table_args__ = (UniqueConstraint("meeting_id", "seat_id", "track", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("meeting_seats.id", ondelete="CASCADE"))
    caucus_id: Mapped[str | None] = mapped_column(ForeignKey("meeting_caucuses.id"))
    track: Mapped[str] = mapped_column(String(10))  # audio | video | av
    sequence: Mapped[int]  # per (meeting, seat, track), from 0
    node_id: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(500))  # where the node stored the file
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    media_start_ms: Mapped[int] = mapped_column(default=0)  # offset from the meeting's first frame
    duration_ms: Mapped[int] = mapped_column(default=0)
    recorded_at: Mapped[datetime]  # when signaling stored the report


class PlaybackStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class RecordingPlayback(Base):
    """The single playback file a Celery task composes from a meeting's segments."""

    __tablename__ = "meeting_recording_playbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=PlaybackStatus.PENDING)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("stored_blobs.sha256"))
    duration_ms: Mapped[int] = mapped_column(default=0)
    time_overlay: Mapped[bool] = mapped_column(default=False)  # hearings show the time (L32)
    requested_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(String(500), default="")
