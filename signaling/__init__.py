"""signaling: the python-socketio live room protocol (issue 5)."""
