"""Electronic service of case documents (电子送达, L33-L35) and case notifications.

- ``addresses``: the address-confirmation form (送达地址确认书) and whether a party
  consents to electronic service, confirmed or presumed (L33).
- ``service``: serving a document on consenting parties, one record per channel,
  delivery, the one-time link, and completion by the earliest valid channel (L34).
- ``receipts``: the service receipt (送达回证) PDF, kept as a case document.
- ``paper``: paper copies of judgments, rulings and mediation statements (L35).
- ``notices``: ``notify_case_participants`` for any part that tells a case's people something.
- ``hooks``: the lifecycle notices (accepted, rejected, mediator assigned, outcome).
"""
