"""TURN REST credentials and the ICE server list, from settings and the injected clock."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from odr.clock import ManualClock
from odr.rtc.ice import ice_servers_for, secret_path, turn_credential, turn_secret
from odr.settings import Settings

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 1793581200


def make_settings(tmp_path: Path, **changes: Any) -> Settings:
    fields = {"environment": "test", "var_dir": tmp_path / "var", **changes}
    return Settings(_env_file=None, **fields)  # type: ignore[call-arg]


def test_credential_is_expiry_colon_user_and_base64_hmac_sha1() -> None:
    # Computed outside Python: printf '%s' "1793624400:42" | openssl dgst -sha1 -hmac north-wind -binary | base64
    cred = turn_credential("north-wind", "42", START + timedelta(hours=12))
    assert cred.username == "1793624400:42"
    assert cred.credential == "FI1yyU2a5u+irIh5GxJJcrEfNp8="


def test_credential_expires_a_lifetime_after_the_clocks_now(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, turn_secret=SecretStr("north-wind"),
                             turn_credential_ttl_seconds=3600)
    clock = ManualClock(START)
    first = ice_servers_for(settings, clock, "42")[-1]
    assert first["username"] == f"{int(START.timestamp()) + 3600}:42"

    clock.advance(minutes=30)
    later = ice_servers_for(settings, clock, "42")[-1]
    assert later["username"] == f"{int(START.timestamp()) + 5400}:42"
    assert later["credential"] != first["credential"]


def test_each_user_gets_their_own_credential(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, turn_secret=SecretStr("north-wind"))
    clock = ManualClock(START)
    alice = ice_servers_for(settings, clock, "7")[-1]
    bob = ice_servers_for(settings, clock, "8")[-1]
    assert alice["username"].endswith(":7") and bob["username"].endswith(":8")
    assert alice["credential"] != bob["credential"]


@pytest.mark.parametrize("key", ["", "a:b", "seat 1", "x" * 65, "用户"])
def test_user_keys_that_would_confuse_coturn_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="TURN user key"):
        turn_credential("s", key, START)


def test_embedded_default_lists_the_loopback_coturn_over_udp_and_tcp(tmp_path: Path) -> None:
    servers = ice_servers_for(make_settings(tmp_path), ManualClock(START), "42")
    assert servers[0] == {"urls": ["stun:127.0.0.1:3478"]}
    assert servers[1]["urls"] == ["turn:127.0.0.1:3478?transport=udp",
                                  "turn:127.0.0.1:3478?transport=tcp"]
    assert set(servers[1]) == {"urls", "username", "credential"}


def test_configured_servers_replace_the_embedded_ones(tmp_path: Path) -> None:
    turn = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:443?transport=tcp"]
    settings = make_settings(tmp_path, stun_urls=["stun:turn.example.org:3478"], turn_urls=turn,
                             turn_secret=SecretStr("from-the-environment"))
    servers = ice_servers_for(settings, ManualClock(START), "42")
    assert servers[0] == {"urls": ["stun:turn.example.org:3478"]}
    assert servers[1]["urls"] == turn
    expected = turn_credential("from-the-environment", "42", START + timedelta(hours=12))
    assert (servers[1]["username"], servers[1]["credential"]) == (expected.username, expected.credential)


def test_no_servers_when_turn_is_off_and_none_configured(tmp_path: Path) -> None:
    assert ice_servers_for(make_settings(tmp_path, turn_embedded=False), ManualClock(START), "1") == []


def test_settings_read_the_secret_and_urls_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ODR_TURN_SECRET", "env-secret")
    monkeypatch.setenv("ODR_TURN_URLS", '["turn:10.0.0.5:3478?transport=tcp"]')
    settings = make_settings(tmp_path)
    assert turn_secret(settings) == "env-secret"
    assert settings.ice_turn_urls == ["turn:10.0.0.5:3478?transport=tcp"]
    assert settings.ice_stun_urls == []  # an external TURN server: no embedded STUN either
    assert not secret_path(settings).exists()


def test_without_a_configured_secret_one_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    first = turn_secret(settings)
    assert len(first) >= 32
    assert turn_secret(make_settings(tmp_path)) == first  # another process, same var/
    assert stat.S_IMODE(os.stat(secret_path(settings)).st_mode) == 0o600
    assert turn_secret(make_settings(tmp_path / "elsewhere")) != first


def test_production_refuses_turn_urls_without_a_secret(tmp_path: Path) -> None:
    production = {"environment": "production", "secret_key": SecretStr("s" * 40),
                  "cookie_secure": True, "notify_channels": ["database"]}
    with pytest.raises(ValueError, match="ODR_TURN_SECRET"):
        make_settings(tmp_path, turn_urls=["turn:turn.example.org:3478"], **production).check()
    make_settings(tmp_path, turn_urls=["turn:turn.example.org:3478"],
                  turn_secret=SecretStr("x"), **production).check()


@pytest.mark.parametrize(("field", "url"), [("turn_urls", "stun:x:3478"), ("stun_urls", "turn:x:3478"),
                                            ("turn_urls", "turn:x 3478"), ("turn_urls", "https://x")])
def test_misspelt_ice_urls_are_refused_at_start_up(tmp_path: Path, field: str, url: str) -> None:
    with pytest.raises(ValueError, match="URL"):
        make_settings(tmp_path, **{field: [url]})
