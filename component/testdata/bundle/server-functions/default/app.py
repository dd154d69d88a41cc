# stand-in for the Dash app
def create_app():
    raise NotImplementedError
