def create_app():
    return 42
