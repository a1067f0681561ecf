"""The protocol is published as JSON Schema and the page's types come from it."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from signaling.protocol import CLIENT_EVENTS, SCHEMA_PATH, SERVER_EVENTS, RtcSdp, schema_text


def test_committed_schema_matches_the_server_models() -> None:
    assert SCHEMA_PATH.read_text() == schema_text(), "run `odr room-schema` and commit the file"


def test_schema_names_every_event_with_a_definition() -> None:
    doc = json.loads(schema_text())
    assert set(doc["x-client-events"]) == set(CLIENT_EVENTS)
    assert set(doc["x-server-events"]) == set(SERVER_EVENTS)
    for ref in [*doc["x-client-events"].values(), *doc["x-server-events"].values()]:
        assert ref.removeprefix("#/$defs/") in doc["$defs"]


def test_messages_refuse_unknown_fields_and_oversized_sdp() -> None:
    with pytest.raises(ValidationError):
        RtcSdp.model_validate({"pc": "publish", "type": "offer", "sdp": "v=0", "admin": True})
    with pytest.raises(ValidationError):
        RtcSdp.model_validate({"pc": "publish", "type": "offer", "sdp": "a" * 40_000})
