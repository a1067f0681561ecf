"""``odr media-node add NAME``: registers a node and prints its credential once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from odr.cli import app
from odr.meetings.models import MediaNode
from odr.services import Services
from tests.conftest import LiveServer
from tests.signaling.support import connect, refused


async def test_the_printed_credential_lets_the_node_connect_and_a_new_one_replaces_it(
    live_server: LiveServer, services: Services, db_url: str, tmp_path: Path
) -> None:
    env = {"ODR_DATABASE_URL": db_url, "ODR_VAR_DIR": str(tmp_path / "var")}

    def add() -> str:
        result = CliRunner().invoke(app, ["media-node", "add", "media-1"], env=env)
        assert result.exit_code == 0, result.output
        return result.output.strip().splitlines()[-1]

    credential = await asyncio.to_thread(add)
    async with services.db.reader() as uow:
        node = await uow.session.get(MediaNode, "media-1")
        assert node is not None and credential not in node.credential_hash
    client = await connect(live_server.url, {"node": "media-1", "credential": credential})
    await client.close()
    rotated = await asyncio.to_thread(add)
    assert rotated != credential
    assert await refused(live_server.url, {"node": "media-1", "credential": credential})
    bad = await asyncio.to_thread(CliRunner().invoke, app, ["media-node", "add", "no spaces"], env=env)
    assert bad.exit_code == 2
