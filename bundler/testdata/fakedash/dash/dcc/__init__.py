"""Fake of dash.dcc: its resource list (an async chunk and its source map); any capitalised name (Graph,
Dropdown, ...) is a component."""

from .._components import components

_js_dist = [
    {"relative_package_path": "dcc/async-graph.js", "namespace": "dash", "async": True},
    {"relative_package_path": "dcc/async-graph.js.map", "namespace": "dash", "dynamic": True},
]
__getattr__ = components("dash_core_components")
