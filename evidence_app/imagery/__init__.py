"""Images as evidence: probing headers, the display stretch, georeferencing, tile pyramids, annotation rendering and map overlays."""
