"""Background processing: the Celery app, worker heartbeats and the process runner.

Celery only wakes workers; the work itself lives in the outbox
(``odr.outbox``), so a lost broker message or a killed worker delays work
but never loses it.
"""
