"""GET /api/v1/rtc/ice-servers: signed-in users get ICE servers with their own TURN credential."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from odr.clock import ManualClock
from odr.rtc.ice import turn_credential, turn_secret
from odr.services import Services
from tests.factories import make_user, sign_in

URL = "/api/v1/rtc/ice-servers"


async def test_anonymous_callers_get_no_turn_credentials(client: httpx.AsyncClient) -> None:
    response = await client.get(URL)
    assert response.status_code == 401
    assert "credential" not in response.text


async def test_signed_in_user_gets_servers_and_a_credential_in_their_name(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    user = await make_user(services, "party")
    await sign_in(client, services, user)

    response = await client.get(URL)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    ttl = services.settings.turn_credential_ttl_seconds
    expiry = int(clock.now().timestamp()) + ttl
    stun, turn = body["ice_servers"]
    assert stun == {"urls": services.settings.ice_stun_urls}  # no null username for browsers
    assert turn["urls"] == services.settings.ice_turn_urls
    assert turn["username"] == f"{expiry}:{user.id}"
    # The TURN server, holding the same secret, recomputes exactly this password.
    expected = turn_credential(
        turn_secret(services.settings), str(user.id), clock.now() + timedelta(seconds=ttl)
    )
    assert turn["credential"] == expected.credential
    assert datetime.fromisoformat(body["expires_at"]) == expected.expires_at
    assert body["ttl_seconds"] == ttl


async def test_two_users_get_different_credentials_and_time_moves_the_expiry(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    alice = await make_user(services, "mediator")
    bob = await make_user(services, "agent")
    await sign_in(client, services, alice)
    first = (await client.get(URL)).json()
    await sign_in(client, services, bob)
    second = (await client.get(URL)).json()
    assert first["ice_servers"][1]["username"].endswith(f":{alice.id}")
    assert second["ice_servers"][1]["username"].endswith(f":{bob.id}")
    assert first["ice_servers"][1]["credential"] != second["ice_servers"][1]["credential"]

    clock.advance(hours=1)
    later = (await client.get(URL)).json()
    assert int(later["ice_servers"][1]["username"].split(":")[0]) == (
        int(second["ice_servers"][1]["username"].split(":")[0]) + 3600
    )


async def test_the_route_is_in_the_api_document(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert any(path.endswith("/rtc/ice-servers") for path in spec["paths"])
