def load_settings():
    raise ValueError("settings file missing: boom")


def create_app():
    load_settings()
