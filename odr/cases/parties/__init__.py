"""Respondents, consents and agents of a case (issue 3, L1, L2, L3, L8).

``invitations`` asks each respondent whether it agrees to mediate (L8),
``consents`` keeps each party's answer per stage (L1), ``authorizations``
lets an agent act for a party under a record the policy checks.
"""
