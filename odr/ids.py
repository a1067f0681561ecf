"""Typed identifiers, so a user id is never passed where a case id belongs."""

from typing import NewType

UserId = NewType("UserId", int)
CourtId = NewType("CourtId", int)
InstitutionId = NewType("InstitutionId", int)
CaseId = NewType("CaseId", int)
