"""Builds the offline map page (folium + local assets) and its data."""
