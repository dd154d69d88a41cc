# Waits forever at import (a server loop, a queue, a prompt): the bundle must fail with this stack.
import time

from dash import Dash


def wait_for_data():
    time.sleep(3600)


app = Dash(__name__)
wait_for_data()
