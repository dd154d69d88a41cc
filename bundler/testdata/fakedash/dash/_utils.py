"""Fake dash._utils: AttributeDict (the callback context's type) and to_json."""
import json


class AttributeDict(dict):
    __getattr__ = dict.get

    def __setattr__(self, key, value):
        self[key] = value


def to_json(value):
    return json.dumps(value)
