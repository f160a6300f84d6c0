"""The public surface: exported names, the pytest plugin, the README's examples."""
