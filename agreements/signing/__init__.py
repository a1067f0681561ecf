"""Signing an agreement: signatures bound to one version's hash, the seal, effect (L16)."""
