"""Fake of dash.html: no resources; Div builds the JSON Dash would send for it."""

_js_dist = []


def Div(children=None, **props):
    return {"type": "Div", "namespace": "dash_html_components", "props": dict(props, children=children)}
