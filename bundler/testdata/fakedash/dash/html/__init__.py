"""Fake of dash.html: no resources."""

_js_dist = []
