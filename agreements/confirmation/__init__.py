"""Judicial confirmation of a mediation agreement (L20-L27).

The applicants' side lives here: which courts may confirm (``jurisdiction``,
L22, and the refusals of L24 and L37), the 30-day window (``window``, L21),
the joint application (``apply``, L20) with its materials (``materials``,
L23) and its PDF (``application_pdf``), and the party routes
(``routes_party``). The court's side (acceptance, the judge, questioning,
the ruling; ``court``, ``ruling*``, ``warnings``, ``routes_court``) picks the
application up once every party has joined.
"""
