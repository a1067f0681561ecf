"""SDP and ICE candidate checks before anything reaches the media node (issue 5 bad input)."""

from __future__ import annotations

import pytest

from signaling.handlers.media import MAX_M_LINES, BadMedia, check_candidate, check_sdp

BROWSER_OFFER = "\r\n".join([
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1",
    "a=msid-semantic: WMS",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 0 8 126",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:abcd",
    "a=ice-pwd:abcdefghijklmnopqrstuvwx",
    "a=fingerprint:sha-256 AA:BB:CC",
    "a=setup:actpass",
    "a=mid:0",
    "a=sendonly",
    "a=rtpmap:111 opus/48000/2",
    "a=rtpmap:126 telephone-event/8000",
    "a=candidate:842163049 1 udp 1677729535 127.0.0.1 50000 typ srflx raddr 10.0.0.1 rport 50000 generation 0",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
    "c=IN IP4 0.0.0.0",
    "a=mid:1",
    "a=rtpmap:96 VP8/90000",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "",
])


def test_a_browser_offer_passes() -> None:
    check_sdp(BROWSER_OFFER)


@pytest.mark.parametrize("sdp, why", [
    ("hello world", "not SDP"),
    ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n", "no media"),
    (BROWSER_OFFER.replace("m=video 9", "m=text 9"), "unknown media kind"),
    (BROWSER_OFFER.replace("UDP/TLS/RTP/SAVPF 96", "RTP/AVP 96"), "not a WebRTC transport"),
    (BROWSER_OFFER.replace("a=mid:1", "a=mid:1\x00"), "control characters"),
    (BROWSER_OFFER.replace("rtpmap:96 VP8/90000", "rtpmap:96 VP8;rm -rf/90000"), "bad rtpmap"),
    (BROWSER_OFFER.replace("127.0.0.1 50000 typ", "127.0.0.1 99999 typ"), "bad candidate port"),
    (BROWSER_OFFER + "\r\n".join(["m=audio 9 UDP/TLS/RTP/SAVPF 111"] * MAX_M_LINES), "too many m-lines"),
    ("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", "no origin"),
])
def test_hostile_or_malformed_sdp_is_refused(sdp: str, why: str) -> None:
    with pytest.raises(BadMedia):
        check_sdp(sdp)


@pytest.mark.parametrize("candidate", [
    "",
    "candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host generation 0",
    "candidate:2 1 UDP 2122260223 3f2a1c4e-1111-2222-3333-444455556666.local 54321 typ host",
    "candidate:3 1 tcp 1518280447 ::1 9 typ host tcptype active",
    "4 1 udp 41819902 127.0.0.1 3478 typ relay raddr 0.0.0.0 rport 0",
])
def test_well_formed_candidates_pass(candidate: str) -> None:
    check_candidate(candidate, "0")


@pytest.mark.parametrize("candidate, mid", [
    ("candidate:1 1 udp 1 192.168.1.2 54321 typ host " + "x y " * 40, "0"),
    ("candidate:1 1 sctp 1 192.168.1.2 54321 typ host", "0"),
    ("candidate:1 1 udp 1 192.168.1.2 54321 typ mystery", "0"),
    ("candidate:1 1 udp 1 bad_host! 54321 typ host", "0"),
    ("candidate:1 1 udp 1 10.0.0.1 5 typ host raddr <script> rport 1", "0"),
    ("candidate:1 1 udp 1 10.0.0.1 5 typ host", "0; drop"),
])
def test_malformed_candidates_are_refused(candidate: str, mid: str) -> None:
    with pytest.raises(BadMedia):
        check_candidate(candidate, mid)
