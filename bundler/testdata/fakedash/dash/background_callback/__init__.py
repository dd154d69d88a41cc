"""Fake dash.background_callback (Dash 3 and 4 name background callback managers here)."""
