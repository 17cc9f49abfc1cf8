"""Disclosure tests: each attack on a published output, played against the output itself."""
