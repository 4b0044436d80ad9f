"""Parsers for outside formats; each yields records or located errors and writes nothing."""
