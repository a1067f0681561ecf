"""The public progress query (L3), query passwords, and the case timeline view."""
