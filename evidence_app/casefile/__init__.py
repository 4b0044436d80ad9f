"""Case file export/import, GeoJSON/KML and reports."""
