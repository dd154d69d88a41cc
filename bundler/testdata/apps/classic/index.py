# Started with `python index.py` (or gunicorn index:server): the entry point is index:app.
from app import app, server  # noqa: F401

app.layout = {"type": "Div", "props": {"children": "classic"}}

if __name__ == "__main__":
    app.run(debug=True)
