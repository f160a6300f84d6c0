"""The scenario file format: its JSON Schema, loading with located problems,
cross-reference checks, building the model, and dumping it back to a document."""
