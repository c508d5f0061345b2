"""Benchmarks: scripts that print their figures (run as python -m bench.<name> from the root)."""
