"""Importing a plan from its official document (.docx, .doc, .pdf): `draft.import_plan` reads it into a `DraftPlan`
with its review list, `write.write_draft` writes the draft plan folder."""
