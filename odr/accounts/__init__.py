"""Accounts: users, real-name identity (L2), sessions, one-time codes, login."""
