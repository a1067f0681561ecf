"""The floor for ``bench/signaling.py``: a bare python-socketio relay.

The same transport as the real server (python-socketio's ASGI app under the
same uvicorn flags) doing only what relaying needs. A receiver (the media
node's place) connects with ``{"node": NAME}`` and joins ``node:NAME``; a
participant connects with ``{"via": NAME}``; each ``rtc.candidate`` it sends
is forwarded as is to its node and acknowledged, as the real server forwards
a participant's ICE candidates to its meeting's media node. No token, no
schema, no rate limit, no database.

    uvicorn bench.signaling_bare:app
"""

from __future__ import annotations

from typing import Any

import socketio

NAMESPACE = "/room"
OK = {"ok": True}

sio = socketio.AsyncServer(async_mode="asgi", logger=False, engineio_logger=False,
                           cors_allowed_origins="*")


class BareRelay(socketio.AsyncNamespace):
    def __init__(self) -> None:
        super().__init__(NAMESPACE)
        self.target: dict[str, str] = {}

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        auth = auth or {}
        if "node" in auth:
            await self.enter_room(sid, f"node:{auth['node']}")
        else:
            self.target[sid] = f"node:{auth.get('via', '')}"
        await self.emit("joined", {"ok": True}, to=sid)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.target.pop(sid, None)

    async def trigger_event(self, event: str, *args: Any) -> Any:
        # "rtc.candidate" cannot be a method name (on_rtc.candidate): dispatch it here
        if event == "rtc.candidate":
            sid, data = args
            await self.emit("rtc.candidate", data, room=self.target[sid])
            return OK
        return await super().trigger_event(event, *args)


sio.register_namespace(BareRelay())
app = socketio.ASGIApp(sio, socketio_path="socket.io")
