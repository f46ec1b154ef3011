"""Incoming: returned forms read, stored (with integrity checks and backups) and consolidated into the year's report."""
