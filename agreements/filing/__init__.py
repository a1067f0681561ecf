"""Effective agreements sent to a court outside judicial confirmation (L37)."""
