# Two apps in one module: OpenDash cannot guess which one to deploy.
import dash

first = dash.Dash(__name__)
second = dash.Dash(__name__)
