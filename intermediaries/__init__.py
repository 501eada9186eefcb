"""The intermediary-agency register and its blacklist (not started)."""
