"""Fake plotly for OpenDash tests: figures as plain JSON data (graph_objects.Figure, Scatter)."""

__version__ = "9.9.9"
