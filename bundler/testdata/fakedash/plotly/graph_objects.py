"""Fake plotly.graph_objects: a Figure is its JSON (data and layout)."""


class Figure(dict):
    def __init__(self, data=None, layout=None):
        traces = [data] if isinstance(data, dict) else list(data or [])
        super().__init__(data=traces, layout=dict(layout or {}))

    def update_layout(self, **layout):
        self["layout"].update(layout)
        return self


class Scatter(dict):
    def __init__(self, **props):
        super().__init__(type="scatter", **props)
