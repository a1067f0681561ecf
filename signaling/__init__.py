"""The live room protocol: a python-socketio namespace (``/room``) in the same ASGI app.

``protocol`` defines every message; ``server`` validates, rate-limits and
dispatches them to the handler modules in ``handlers``; the room state lives
in the database (``odr.meetings.models``), so several processes share it.
"""
