"""Attacks on the tracker, each tried again as a test (issue 17, docs/security.md)."""
