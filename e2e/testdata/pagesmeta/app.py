"""Dash Pages with social meta tags: every page gets twitter:url, and og:image where it names an image."""
from dash import Dash, html, page_container

app = Dash(__name__, use_pages=True)
app.layout = html.Div([html.Nav("pages with meta tags"), page_container])

if __name__ == "__main__":
    app.run(debug=True)
