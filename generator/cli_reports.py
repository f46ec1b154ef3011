"""CLI commands for returned forms (ingest, status, summary); registered on the main `app`."""
