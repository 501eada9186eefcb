"""The outbox: must-not-lose side effects written in the same transaction, delivered at least once."""
