"""Transactional outbox: work that must happen, written with its cause."""
