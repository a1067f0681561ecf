"""Ending a mediation without agreement (L14): ground and reasons, the consequence by
channel, and the transfer package for the court with confidential material left out (L11)."""
