"""The HTTP app's basic contract: health, error bodies, security headers, OpenAPI."""

from __future__ import annotations

import httpx

from odr.orgs.seed import seed_orgs
from odr.services import Services


async def test_healthz_reports_database_broker_and_missing_worker(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True
    # No worker has sent a heartbeat in this test, so the platform is not healthy.
    assert body["workers"]["ok"] is False
    assert response.status_code == 503


async def test_unknown_route_gets_error_body(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_security_headers_on_every_response(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/courts")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_openapi_document_lists_api_routes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/cases" in spec["paths"]
    assert "/api/v1/institutions" in spec["paths"]


async def test_seeded_roster_lists_the_nine_designated_institutions(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.db.uow() as uow:
        await seed_orgs(uow, services.clock)
    items = (await client.get("/api/v1/institutions")).json()["items"]
    assert len(items) == 9
    names = {i["name_en"] for i in items}
    assert "Shanghai Financial Consumer Dispute Mediation Center" in names
    assert "China Securities Legal Service Center Co., Ltd." in names


async def test_bad_query_gets_422_with_field(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/cases", params={"limit": "many"})
    # Not signed in: the policy refuses before the query is read.
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


async def test_oversized_json_body_is_refused_with_413(client: httpx.AsyncClient) -> None:
    huge = '{"username": "' + "x" * 2_000_000 + '", "password": "p"}'
    response = await client.post(
        "/api/v1/auth/login", content=huge, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_unknown_field_and_wrong_type_name_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"username": "a", "password": "b", "admin": True}
    )
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["admin"]
    response = await client.post("/api/v1/auth/login", json={"username": 5, "password": "b"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "username"


async def test_malformed_json_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
