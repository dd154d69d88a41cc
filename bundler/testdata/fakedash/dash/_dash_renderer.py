"""Fake of dash._dash_renderer: the shape of the resource lists extract.py's prefetch reads."""

_js_dist_dependencies = [
    {
        "relative_package_path": {"prod": ["deps/deps.min.js"], "dev": ["deps/deps.dev.js"]},
        "namespace": "dash",
    }
]
_js_dist = [
    {"relative_package_path": "dash-renderer/build/missing_renderer.min.js", "namespace": "dash"},
]
