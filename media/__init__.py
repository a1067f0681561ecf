"""media: the aiortc selective forwarding unit and recorder (issue 6)."""
