"""Signing keys as administrative acts: register, rotate, revoke and list (`python -m services.keys`)."""
