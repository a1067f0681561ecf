"""media: the aiortc selective forwarding unit and recorder (issue 6).

Encoded frames only on the live path: no decode, no encode.

- media.passthrough: ``install()`` makes received tracks yield ``EncodedFrame``
  (the pinned aiortc's private ``rtcrtpreceiver.get_decoder`` hook).
- media.ice: ``use_host_addresses([...])`` (which local addresses/interfaces
  become ICE host candidates; ``LOOPBACK_ONLY`` for tests),
  ``rtc_configuration(ice_servers)`` (explicit server list, max-bundle).
- media.room: ``ForwardingRoom(MediaConfig)`` with ``publish``, ``route``,
  ``subscriber_answer``, ``unpublish``, ``leave``, ``feeds_of``, ``close``.
- media.feed / media.forwarding / media.subscriber / media.publisher /
  media.keyframes: the parts a room is made of.

Never imports ``signaling``: the media service talks to it over the wire.
"""
