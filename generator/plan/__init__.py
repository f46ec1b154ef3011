"""The plan: a YAML plan folder -> `Plan`, and what follows from the plan alone (who reports what, when; what changed
between two states)."""
