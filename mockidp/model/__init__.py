"""The frozen data the core reads: the scenario model, quirks, endpoint layout,
response types and opaque token formats. Imports nothing above the ground floor."""
