"""Outgoing: the report form (its contract with the reader, the template, rendering), the appendix and the yearly
pack."""
