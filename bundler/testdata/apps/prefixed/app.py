import dash


def create_app():
    return dash.Dash(__name__, url_base_pathname="/app/")
