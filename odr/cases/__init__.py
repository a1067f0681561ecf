"""Cases: intake, the lifecycle state machine, deadlines, evidence (issue 3 grows this)."""
