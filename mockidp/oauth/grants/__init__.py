"""The token endpoint's grant types, one module per family."""
