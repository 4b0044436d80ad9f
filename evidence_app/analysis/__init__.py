"""Detections over stored records: encounters, loitering, AIS gaps, identity checks."""
