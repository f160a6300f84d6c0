"""Vendor presets: the mechanism, and each vendor's paths, shapes and quirks."""
