"""Fake of dash.dash_table: no resources; DataTable and friends are components."""

from .._components import components

_js_dist = []
__getattr__ = components("dash_table")
