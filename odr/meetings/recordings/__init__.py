"""A meeting's recording: segments the media node reported, the manifest, the playback file.

- segments.py: ``store_segment`` (a ``node.segment`` report becomes a
  ``RecordingSegment`` row and an audit entry with its hash),
  ``manifest_sha256`` (pure) and ``finalize_recording`` (at the meeting's end:
  the manifest on the meeting, audited, and the playback composition queued).
- compose.py: the outbox job ``recordings.compose`` (ffmpeg: the one place
  recordings are decoded and encoded).
- routes.py: listing, manifest and the audited playback download.
"""
