"""Intake and review: how a case enters (online application, court referral, walk-in) and is
accepted or sent back.

- ``notice``: the platform notice an applicant confirms (L1), kept as data.
- ``schemas``: request and response bodies; what people type is checked here (422).
- ``numbers``: case numbers per scope and year, allocated under concurrency.
- ``filing``: writing a new case with its parties, consents, agent authorization, evidence.
- ``service``: the three channels, with idempotency.
- ``review``: the review queue, start/accept/reject, amending and resubmitting.
- ``detail``: the full case detail of ``GET /api/v1/cases/{id}``.
- ``routes``: the HTTP endpoints.
"""
