"""Fake dash.exceptions."""


class PreventUpdate(Exception):
    pass
