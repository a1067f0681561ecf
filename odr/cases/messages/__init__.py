"""Message threads between a party's side and the case's staff, and complaints (issue 3, point 7)."""
