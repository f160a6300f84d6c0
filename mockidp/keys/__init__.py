"""Signing keys: the only importer of joserfc. Fixed test keys ship in ``keydata/``.

``ring`` signs and publishes (KeyRing), ``material`` imports keys and makes certificates,
``timeline`` works out key rotation, ``verify`` checks JWTs and keys from outside.
"""
