"""mediators: mediators, availability, conflicts and the assignment engine (issue 4)."""
