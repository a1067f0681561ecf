"""Meetings: a case's scheduled video rooms (mediation sessions and hearings).

The HTTP side lives here (scheduling, invites, room tokens, reschedule
requests, session records); the live room protocol is ``signaling``.
"""
