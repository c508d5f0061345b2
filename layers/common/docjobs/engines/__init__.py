"""Engines shared by several job types (each a small protocol, one module per engine)."""
