"""Queries and business rules. Services take the session first; they flush, never commit."""
