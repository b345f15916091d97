"""Report extraction: draft events, with evidence spans, from the text of a news report."""
