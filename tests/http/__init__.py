"""The HTTP layer: fuzzed endpoints, scripted faults, security headers, the request log."""
