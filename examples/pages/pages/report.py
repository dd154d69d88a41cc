import dash
from dash import html

dash.register_page(__name__, path_template="/report/<report_id>", title="Report")


def layout(report_id=None, **_query):
    return html.Div([html.H1(f"Report {report_id}", id="report-title")])
