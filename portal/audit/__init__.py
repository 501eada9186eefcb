"""The audit trail: append-only, hash-chained, sealed; personal data masked or encrypted."""
