"""Who must consent before a meeting records, and what is recorded now (L12, L31, L32). Pure.

* A **mediation** records only when every present participant (guests
  included; the host and co-hosts, who run the recording, excepted) consented.
  Any refusal sets the meeting's state to ``refused`` for good: nothing is
  recorded, and the mediator's written session record (笔录) is mandatory
  (L12). A participant admitted later without consent is never recorded.
* A **hearing** is recorded in full (L32): a participant's consent is its
  acknowledgement of the recording notice (``True``); it cannot refuse. The
  recording starts by itself once every present participant acknowledged,
  and the judge may pause it for a recess or non-public evidence. The
  clerk's written record stays mandatory (the recording replaces it only in
  summary cases with consent, which the court decides outside the room).
* A **caucus** is recorded only with its members' consent: a caucus's
  ``recording_consented`` is fixed when it opens from its members' standing
  consent (each member ``True``), and drops to ``False`` if one of them later
  refuses.

The functions take anything shaped like a seat (``SeatLike``), so the rules
are tested without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from odr.meetings.models import HOST_ROLES, MeetingKind, RecordingState, SeatState

PRESENT = frozenset({SeatState.LOBBY, SeatState.ADMITTED})
RECORDING_ACTIONS = ("start", "stop", "pause", "resume")


class SeatLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def role(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def caucus_id(self) -> str | None: ...
    @property
    def recording_consent(self) -> bool | None: ...


class RecordingRuleError(Exception):
    """A recording control or consent the rules refuse (``code`` becomes the error event's code)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def answers_consent(seat: SeatLike) -> bool:
    """The host and co-hosts run the recording; everyone else answers for themselves."""
    return seat.role not in HOST_ROLES


def awaiting_consent(seats: Iterable[SeatLike]) -> list[int]:
    """Present participants who have not (yet) consented or acknowledged."""
    return [
        s.id for s in seats
        if answers_consent(s) and s.state in PRESENT and s.recording_consent is not True
    ]


def refused_by(seats: Iterable[SeatLike]) -> list[int]:
    return [s.id for s in seats if answers_consent(s) and s.recording_consent is False]


def written_record_required(kind: str, state: str) -> bool:
    """L12: a mediation's recording replaces the written record only while it runs with
    everyone's consent; L32: a hearing keeps the clerk's transcript."""
    if kind == MeetingKind.HEARING:
        return True
    return state not in (RecordingState.ON, RecordingState.PAUSED)


def check_consent_answer(kind: str, consent: bool) -> None:
    if kind == MeetingKind.HEARING and not consent:
        raise RecordingRuleError(
            "hearing_recorded",
            "a hearing is recorded in full (L32): acknowledge the recording notice",
        )


def state_after_consent(kind: str, state: str, seats: Iterable[SeatLike]) -> str:
    """The meeting's recording state once a participant answered."""
    seats = list(seats)
    if kind == MeetingKind.MEDIATION:
        if refused_by(seats):
            return RecordingState.REFUSED
        return state
    if state == RecordingState.OFF and not awaiting_consent(seats) and _anyone_answers(seats):
        return RecordingState.ON  # a hearing starts recording once everyone acknowledged
    return state


def _anyone_answers(seats: list[SeatLike]) -> bool:
    return any(answers_consent(s) and s.state in PRESENT for s in seats)


def state_after_control(kind: str, state: str, action: str, seats: Iterable[SeatLike]) -> str:
    """The state a host's ``recording.control`` leads to, or ``RecordingRuleError``."""
    seats = list(seats)
    if action not in RECORDING_ACTIONS:
        raise RecordingRuleError("invalid_message", f"unknown action {action!r}")
    if state == RecordingState.REFUSED:
        raise RecordingRuleError(
            "recording_refused",
            "a participant refused recording: nothing is recorded; keep the written record (L12)",
        )
    if action in ("start", "resume"):
        expected = RecordingState.OFF if action == "start" else RecordingState.PAUSED
        if state != expected:
            raise RecordingRuleError("conflict", f"cannot {action} while recording is {state}")
        missing = awaiting_consent(seats)
        if missing:
            word = "acknowledged the notice" if kind == MeetingKind.HEARING else "consented"
            raise RecordingRuleError(
                "consent_missing", f"not everyone has {word} yet (seats {', '.join(map(str, missing))})"
            )
        return RecordingState.ON
    if action == "pause":
        if state != RecordingState.ON:
            raise RecordingRuleError("conflict", f"cannot pause while recording is {state}")
        return RecordingState.PAUSED
    if state not in (RecordingState.ON, RecordingState.PAUSED):  # stop
        raise RecordingRuleError("conflict", f"cannot stop while recording is {state}")
    return RecordingState.OFF


def caucus_consented(members: Iterable[SeatLike]) -> bool:
    """A caucus may be recorded only if each of its members consented."""
    members = [m for m in members if answers_consent(m)]
    return all(m.recording_consent is True for m in members)


def recorded_seats(
    kind: str, state: str, seats: Iterable[SeatLike], caucus_consent: Mapping[str, bool | None],
) -> list[int]:
    """Seats whose audio and video the media node writes now (sorted)."""
    if state != RecordingState.ON:
        return []
    out: list[int] = []
    for seat in seats:
        if seat.state != SeatState.ADMITTED:
            continue
        if seat.caucus_id is not None and caucus_consent.get(seat.caucus_id) is not True:
            continue
        if kind == MeetingKind.MEDIATION and answers_consent(seat) and seat.recording_consent is not True:
            continue  # admitted after recording started, without consent: never recorded (L12)
        out.append(seat.id)
    return sorted(out)
