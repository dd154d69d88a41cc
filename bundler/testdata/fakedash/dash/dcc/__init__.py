"""Fake of dash.dcc: its resource list (an async chunk and its source map)."""

_js_dist = [
    {"relative_package_path": "dcc/async-graph.js", "namespace": "dash", "async": True},
    {"relative_package_path": "dcc/async-graph.js.map", "namespace": "dash", "dynamic": True},
]
