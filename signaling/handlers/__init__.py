"""Handlers of the room's client events, one module per concern (``signaling.server`` imports them)."""
