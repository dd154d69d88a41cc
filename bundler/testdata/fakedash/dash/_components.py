"""Fake Dash components for OpenDash tests: layout nodes and callback dependencies as plain JSON data."""


class Component(dict):
    """A layout node, serialised as Dash does: {"type", "namespace", "props"}."""

    namespace = ""

    def __init__(self, children=None, **props):
        if children is not None:
            props["children"] = children
        super().__init__(type=type(self).__name__, namespace=self.namespace, props=props)


def components(namespace):
    """A module-level __getattr__ that makes any capitalised name a Component class of namespace."""
    made = {}

    def __getattr__(name):
        if not name[:1].isupper():
            raise AttributeError(name)
        if name not in made:
            made[name] = type(name, (Component,), {"namespace": namespace})
        return made[name]

    return __getattr__


class Input(str):
    """Input("city", "value") is the string "city.value", the form Dash.callback also takes directly."""

    def __new__(cls, component_id, component_property):
        return super().__new__(cls, f"{component_id}.{component_property}")


class Output(Input):
    pass
