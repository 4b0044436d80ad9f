"""Package data shipped with the application (basemap, icons), found via importlib.resources."""
