"""Courts and mediation institutions: the organisations everything refers to."""
