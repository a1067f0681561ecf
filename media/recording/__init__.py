"""Recording without transcoding: each recorded seat's encoded audio and video into WebM segments.

- media.recording.writer: ``SegmentWriter`` muxes VP8 and Opus packets as they
  arrive (PyAV, no codec opened: nothing is decoded or encoded), then closes,
  fsyncs and hashes the file.
- media.recording.segmenter: ``SeatRecorder`` (a feed sink per seat) cuts a
  new segment every ``segment_seconds`` at a keyframe it asks the publisher
  for, aligns audio and video by arrival time, and hands each closed segment
  to the node; ``MeetingRecorder`` holds a meeting's recorders.

The node (media.node) decides which seats to record from the ``recording``
list of signaling's routes; the consent rules live in signaling.
"""
