import dash


def create_app():
    # assets_ignore keeps theme.scss and draft-*.png out of the page; the layout still names one of them.
    app = dash.Dash(__name__, serve_locally=False, debug_tools=True, assets_ignore=r"\.scss$|^draft-")
    app.layout = {"type": "Img", "props": {"src": "/assets/draft-logo.png"}}
    return app
