"""Recording consent rules (L12, L32), pure: who must consent, what is recorded."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from signaling.recording_rules import (
    RecordingRuleError,
    caucus_consented,
    check_consent_answer,
    recorded_seats,
    state_after_consent,
    state_after_control,
    written_record_required,
)


@dataclass
class Seat:
    id: int
    role: str = "party"
    state: str = "admitted"
    caucus_id: str | None = None
    recording_consent: bool | None = None


def mediation(*consents: bool | None) -> list[Seat]:
    return [Seat(1, role="host"), *(Seat(i + 2, recording_consent=c) for i, c in enumerate(consents))]


def test_a_mediation_starts_recording_only_when_every_participant_consented_L12() -> None:
    with pytest.raises(RecordingRuleError) as refused:
        state_after_control("mediation", "off", "start", mediation(True, None))
    assert refused.value.code == "consent_missing"
    assert state_after_control("mediation", "off", "start", mediation(True, True)) == "on"


def test_guests_consent_too_and_the_host_does_not_answer_L12() -> None:
    seats = [*mediation(True), Seat(9, role="witness", state="lobby")]
    with pytest.raises(RecordingRuleError):
        state_after_control("mediation", "off", "start", seats)


def test_one_refusal_stops_everything_and_makes_the_written_record_mandatory_L12() -> None:
    seats = mediation(True, False)
    state = state_after_consent("mediation", "on", seats)
    assert state == "refused"
    assert recorded_seats("mediation", state, seats, {}) == []
    assert written_record_required("mediation", state)
    with pytest.raises(RecordingRuleError) as refused:
        state_after_control("mediation", state, "start", mediation(True, True))
    assert refused.value.code == "recording_refused"


def test_a_running_mediation_recording_may_replace_the_written_record_L12() -> None:
    assert not written_record_required("mediation", "on")
    assert written_record_required("mediation", "off")


def test_a_seat_admitted_later_without_consent_is_never_recorded_L12() -> None:
    seats = [*mediation(True, True), Seat(7)]
    assert recorded_seats("mediation", "on", seats, {}) == [1, 2, 3]


def test_a_hearing_records_once_everyone_acknowledged_and_cannot_be_refused_L32() -> None:
    seats = [Seat(1, role="host"), Seat(2, recording_consent=True), Seat(3)]
    assert state_after_consent("hearing", "off", seats) == "off"
    seats[2].recording_consent = True
    assert state_after_consent("hearing", "off", seats) == "on"
    with pytest.raises(RecordingRuleError):
        check_consent_answer("hearing", False)
    assert written_record_required("hearing", "on")  # the clerk's transcript stays (L32)
    assert state_after_control("hearing", "on", "pause", seats) == "paused"  # a recess
    assert recorded_seats("hearing", "paused", seats, {}) == []


def test_a_caucus_is_recorded_only_with_its_members_consent() -> None:
    seats = [Seat(1, role="host", caucus_id="c1"), Seat(2, caucus_id="c1", recording_consent=True),
             Seat(3, recording_consent=True), Seat(4, caucus_id="c2", recording_consent=False)]
    assert caucus_consented([seats[0], seats[1]])
    assert not caucus_consented([seats[3]])
    assert recorded_seats("hearing", "on", seats, {"c1": True, "c2": False}) == [1, 2, 3]
    assert recorded_seats("hearing", "on", seats, {"c1": None, "c2": False}) == [3]


def test_controls_follow_the_state() -> None:
    seats = mediation(True)
    with pytest.raises(RecordingRuleError):
        state_after_control("mediation", "off", "pause", seats)
    with pytest.raises(RecordingRuleError):
        state_after_control("mediation", "on", "start", seats)
    assert state_after_control("mediation", "paused", "resume", seats) == "on"
    assert state_after_control("mediation", "paused", "stop", seats) == "off"
