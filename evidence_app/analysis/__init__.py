"""Detections over stored records: encounters, loitering, AIS gaps, identity checks (pure numpy, no I/O)."""
