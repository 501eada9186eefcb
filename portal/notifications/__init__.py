"""Notifications to people: in-portal inbox, email and SMS (pluggable backend)."""
