"""Database: typed declarative base, engines, unit of work."""
