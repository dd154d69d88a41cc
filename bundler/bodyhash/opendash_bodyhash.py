"""OpenDash: put the body-hash script in every page the Dash app renders.

Shipped in the server function (imported by the handler) and prepended to the bundler's extraction script,
so that index.html, pre-rendered pages and the pages the server renders (path templates, 404, protected
apps) all load it. The script adds x-amz-content-sha256 to the page's requests with a body, which a Lambda
function URL behind CloudFront origin access control requires. Standard library only.
"""

# The script's path below requests_pathname_prefix; open-dash writes the fingerprinted one here when it
# copies this file into the server function.
BODY_HASH_SCRIPT = "_opendash/body-hash.js"


def install_body_hash(app, script=None):
    """Wraps app.interpolate_index so the script tag comes first among the page's scripts, before Dash's
    renderer. Dash 2.18 to 4.3 render every index page through interpolate_index(scripts=...), also with a
    custom index_string or an overriding subclass. Installing twice adds it once."""
    if getattr(app, "_opendash_body_hash", None):
        return app
    import html  # here, not at the top: the extraction runs this file on the bundle's critical path

    src = app.config.requests_pathname_prefix + (script or BODY_HASH_SCRIPT)
    tag = '<script src="%s"></script>' % html.escape(src, quote=True)
    render = app.interpolate_index

    def interpolate_index(**kwargs):
        kwargs["scripts"] = tag + "\n" + (kwargs.get("scripts") or "")
        return render(**kwargs)

    app.interpolate_index = interpolate_index
    app._opendash_body_hash = tag
    return app
