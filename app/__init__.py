"""Sitrep: a REST API for conflict-event records."""
