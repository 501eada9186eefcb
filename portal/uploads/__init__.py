"""Uploaded files: checked by their bytes, stored under random names, served only through permission checks."""
