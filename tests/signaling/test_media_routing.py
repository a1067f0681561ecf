"""Who may receive whom (signaling.routing), as a pure function of the seats (L11)."""

from __future__ import annotations

from dataclasses import dataclass

from signaling.routing import compute_receive


@dataclass
class Seat:
    id: int
    state: str = "admitted"
    caucus_id: str | None = None
    audio_muted_by_host: bool = False
    video_muted_by_host: bool = False
    role: str = "party"
    recording_consent: bool | None = None


def test_admitted_seats_in_the_main_room_receive_each_other() -> None:
    receive = compute_receive([Seat(1, role="host"), Seat(2), Seat(3)])
    assert receive[1] == {"audio": [2, 3], "video": [2, 3]}
    assert receive[2] == {"audio": [1, 3], "video": [1, 3]}


def test_lobby_denied_left_and_removed_seats_get_nothing_and_reach_nobody() -> None:
    seats = [Seat(1), Seat(2, state="lobby"), Seat(3, state="denied"), Seat(4, state="left"),
             Seat(5, state="removed"), Seat(6, state="invited"), Seat(7)]
    receive = compute_receive(seats)
    assert receive[1] == {"audio": [7], "video": [7]}
    assert set(receive) == {1, 7}  # the others have no media at all: the node drops them


def test_a_hearing_witness_in_the_waiting_room_receives_nothing() -> None:
    receive = compute_receive([Seat(1, role="host"), Seat(2), Seat(3, role="witness", state="lobby")])
    assert 3 not in receive
    assert 3 not in receive[1]["audio"] and 3 not in receive[2]["video"]


def test_caucus_media_stays_in_the_caucus_both_ways_L11() -> None:
    seats = [Seat(1, role="host", caucus_id="c1"), Seat(2, caucus_id="c1"), Seat(3), Seat(4),
             Seat(5, caucus_id="c2")]
    receive = compute_receive(seats)
    assert receive[1] == {"audio": [2], "video": [2]}
    assert receive[2] == {"audio": [1], "video": [1]}
    assert receive[3] == {"audio": [4], "video": [4]}
    assert receive[5] == {"audio": [], "video": []}  # alone in its own caucus
    for outside in (3, 4):
        assert not {1, 2, 5} & set(receive[outside]["audio"] + receive[outside]["video"])


def test_muted_by_host_audio_reaches_nobody_video_still_does() -> None:
    receive = compute_receive([Seat(1), Seat(2, audio_muted_by_host=True), Seat(3, video_muted_by_host=True)])
    assert receive[1] == {"audio": [3], "video": [2]}
    assert receive[2] == {"audio": [1, 3], "video": [1]}  # a muted seat still hears others
    assert receive[3]["audio"] == [1]
