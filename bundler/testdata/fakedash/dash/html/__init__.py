"""Fake of dash.html: no resources; any capitalised name (Div, H1, Img, ...) is a component."""

from .._components import components

_js_dist = []
__getattr__ = components("dash_html_components")
