from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiortc import RTCPeerConnection


@pytest.fixture
async def peers() -> AsyncIterator[list[RTCPeerConnection]]:
    """aiortc peer connections the test makes; closed after it."""
    made: list[RTCPeerConnection] = []
    yield made
    for pc in made:
        await pc.close()
