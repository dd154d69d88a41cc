# Social meta tags that name the site, as Dash Pages writes them (og:image, twitter:url): absolute URLs made
# from the request's own origin.
import flask
from dash import Dash, html

app = Dash(__name__)
app.layout = html.Div("meta tags")
_interpolate_index = app.interpolate_index


def interpolate_index(**kwargs):
    kwargs["metas"] = ('<meta property="og:image" content="%sassets/logo.svg">'
                       '<meta property="twitter:url" content="%s">' % (flask.request.url_root, flask.request.url))
    return _interpolate_index(**kwargs)


app.interpolate_index = interpolate_index
