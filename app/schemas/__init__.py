"""Pydantic shapes per use: what clients send and what the API serves."""
