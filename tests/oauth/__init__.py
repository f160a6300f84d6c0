"""The protocol core, flow by flow."""
