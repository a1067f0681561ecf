"""Shared test support: real servers, databases, factories."""
