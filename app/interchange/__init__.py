"""Formats events travel in besides plain JSON: GeoJSON, CSV, NDJSON, ACLED, UCDP."""
