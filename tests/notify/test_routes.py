"""The in-app notification list: each user sees and marks only their own."""

from __future__ import annotations

import httpx

from odr.accounts.models import User
from odr.notify.service import queue_for_user
from odr.services import Services
from tests.factories import make_user, sign_in
from tests.support.notify import deliver_pending


async def notify(services: Services, user: User, key: str, *, channels: tuple = ("inapp",)) -> None:
    async with services.db.uow() as uow:
        await queue_for_user(
            uow, services.clock, user, template="welcome", context={"name": user.real_name},
            channels=channels, idempotency_key=key,
        )


async def test_list_shows_only_my_in_app_notifications_newest_first(
    client: httpx.AsyncClient, services: Services
) -> None:
    me = await make_user(services)
    other = await make_user(services)
    await notify(services, me, "w1", channels=("inapp", "sms"))
    services.clock.advance(minutes=1)  # type: ignore[attr-defined]
    await notify(services, me, "w2")
    await notify(services, other, "w3")
    await deliver_pending(services)
    await sign_in(client, services, me)

    response = await client.get("/api/v1/notifications")

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2 and body["unread"] == 2  # the SMS copy is not listed
    assert [i["created_at"] for i in body["items"]] == sorted(
        (i["created_at"] for i in body["items"]), reverse=True)
    assert all(i["body"].startswith(f"{me.real_name}，欢迎") for i in body["items"])
    assert body["items"][0]["subject"] == "欢迎使用在线调解平台"


async def test_mark_read_lowers_the_unread_count_and_keeps_the_first_time(
    client: httpx.AsyncClient, services: Services
) -> None:
    me = await make_user(services)
    await notify(services, me, "w1")
    await notify(services, me, "w2")
    await deliver_pending(services)
    await sign_in(client, services, me)
    first = (await client.get("/api/v1/notifications")).json()["items"][0]

    read = await client.post(f"/api/v1/notifications/{first['id']}/read")
    assert read.status_code == 200
    read_at = read.json()["read_at"]
    assert read_at is not None
    services.clock.advance(minutes=5)  # type: ignore[attr-defined]
    again = await client.post(f"/api/v1/notifications/{first['id']}/read")
    assert again.json()["read_at"] == read_at

    listing = (await client.get("/api/v1/notifications")).json()
    assert listing["unread"] == 1
    unread_only = (await client.get("/api/v1/notifications", params={"unread_only": "true"})).json()
    assert first["id"] not in [i["id"] for i in unread_only["items"]]
    assert unread_only["total"] == 1

    marked = await client.post("/api/v1/notifications/read-all")
    assert marked.json() == {"marked": 1, "unread": 0}
    assert (await client.get("/api/v1/notifications")).json()["unread"] == 0


async def test_cannot_read_or_mark_another_users_notification(
    client: httpx.AsyncClient, services: Services
) -> None:
    me = await make_user(services)
    other = await make_user(services)
    await notify(services, other, "theirs")
    await deliver_pending(services)
    await sign_in(client, services, other)
    theirs = (await client.get("/api/v1/notifications")).json()["items"][0]["id"]
    client.cookies.clear()
    await sign_in(client, services, me)

    response = await client.post(f"/api/v1/notifications/{theirs}/read")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert (await client.get("/api/v1/notifications")).json()["total"] == 0
    await sign_in(client, services, other)
    assert (await client.get("/api/v1/notifications")).json()["unread"] == 1


async def test_notifications_need_sign_in_and_csrf(
    client: httpx.AsyncClient, services: Services
) -> None:
    anonymous = await client.get("/api/v1/notifications")
    assert anonymous.status_code == 401
    me = await make_user(services)
    await notify(services, me, "w1")
    await deliver_pending(services)
    await sign_in(client, services, me)
    del client.headers["X-CSRF-Token"]
    response = await client.post("/api/v1/notifications/read-all")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


async def test_notification_routes_are_in_the_api_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/api/v1/notifications" in paths
    assert "/api/v1/notifications/{notification_id}/read" in paths
