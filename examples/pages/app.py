"""Dash Pages OpenDash example: several pages, a nested path, a page with a path variable and a custom 404.
Bundle with `open-dash bundle --source examples/pages`."""

import dash
from dash import dcc, html


def create_app():
    app = dash.Dash(__name__, use_pages=True, title="OpenDash pages")
    app.layout = html.Div(
        [
            html.Nav(
                [
                    dcc.Link("Home", href="/"),
                    dcc.Link("Analytics", href="/analytics"),
                    dcc.Link("Annual report", href="/reports/annual"),
                    dcc.Link("Report 42", href="/report/42"),
                ],
                className="nav",
            ),
            dash.page_container,
        ]
    )
    return app


if __name__ == "__main__":
    create_app().run(debug=False)
