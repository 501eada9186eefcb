"""Conduct monitoring (DOMAIN.md §5): the key-event ledger and the off-system processing rules."""
