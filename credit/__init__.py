"""Market-subject credit (not started)."""
