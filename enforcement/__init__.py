"""The enforcement-supervision ledger (not started)."""
