"""Fake of dash.dash_table: no resources."""

_js_dist = []
