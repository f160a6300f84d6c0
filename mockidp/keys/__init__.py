"""Signing keys: the only importer of joserfc. Fixed test keys ship in ``keydata/``."""
