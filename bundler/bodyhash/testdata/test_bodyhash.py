"""Tests of opendash_bodyhash.py against Dash (the fake one in CI, real Dash with OPENDASH_TEST_PYTHON). Run by
bodyhash_test.go with OPENDASH_BODYHASH_DIR holding the module as the server function ships it and
OPENDASH_BODYHASH_PATH the fingerprinted script path it must carry."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.environ["OPENDASH_BODYHASH_DIR"])
import dash  # noqa: E402
import opendash_bodyhash  # noqa: E402

SCRIPT = os.environ["OPENDASH_BODYHASH_PATH"]
FAKE = dash.__version__ == "9.9.9"


def make_app(**kwargs):
    return dash.Dash(__name__, **kwargs)


def page(app, path):
    if not FAKE:
        from dash import html
        if app.layout is None:
            app.layout = html.Div("hello")
    resp = app.server.test_client().get(path)
    return resp.status_code, resp.get_data(as_text=True)


def script_srcs(text):
    return re.findall(r'<script[^>]*src="([^"]+)"', text)


class BodyHashTest(unittest.TestCase):
    def assert_first_script(self, text, src):
        srcs = script_srcs(text)
        self.assertIn(src, srcs, text)
        self.assertEqual(srcs.index(src), 0, "the body-hash script must load before Dash's: %s" % srcs)
        self.assertEqual(text.count(src), 1, text)

    def test_shipped_module_carries_the_fingerprinted_path(self):
        self.assertEqual(opendash_bodyhash.BODY_HASH_SCRIPT, SCRIPT)

    def test_index_and_unknown_paths(self):
        app = opendash_bodyhash.install_body_hash(make_app())
        for path in ("/", "/some/deep/link"):
            status, text = page(app, path)
            self.assertEqual(status, 200, path)
            self.assert_first_script(text, "/" + SCRIPT)
            self.assertIn("_dash-component-suites/", text)

    def test_prefix(self):
        app = opendash_bodyhash.install_body_hash(make_app(url_base_pathname="/app/"))
        status, text = page(app, "/app/")
        self.assertEqual(status, 200)
        self.assert_first_script(text, "/app/" + SCRIPT)

    def test_installed_twice_adds_one_tag(self):
        app = make_app()
        opendash_bodyhash.install_body_hash(app)
        opendash_bodyhash.install_body_hash(app, "_opendash/other.js")
        _, text = page(app, "/")
        self.assert_first_script(text, "/" + SCRIPT)
        self.assertNotIn("other.js", text)

    def test_explicit_path_as_extraction_passes_it(self):
        app = opendash_bodyhash.install_body_hash(make_app(), "_opendash/body-hash.given.js")
        _, text = page(app, "/")
        self.assert_first_script(text, "/_opendash/body-hash.given.js")

    @unittest.skipIf(FAKE, "index_string and subclasses need real Dash")
    def test_custom_index_string_and_subclass(self):
        class Custom(dash.Dash):
            def interpolate_index(self, **kwargs):
                return "<!-- custom -->" + super().interpolate_index(**kwargs)

        app = Custom(__name__, index_string="""<!DOCTYPE html><html><head>{%metas%}<title>{%title%}</title>
{%favicon%}{%css%}</head><body><p>mine</p>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer>
</body></html>""")
        opendash_bodyhash.install_body_hash(app)
        status, text = page(app, "/")
        self.assertEqual(status, 200)
        self.assertIn("<!-- custom -->", text)
        self.assertIn("<p>mine</p>", text)
        self.assert_first_script(text, "/" + SCRIPT)

    @unittest.skipIf(FAKE, "Dash Pages need real Dash")
    def test_pages_path_template_and_404(self):
        import tempfile
        folder = tempfile.mkdtemp()
        os.makedirs(os.path.join(folder, "pages"))
        app = dash.Dash(__name__, use_pages=True, pages_folder="", assets_folder=folder)
        from dash import html
        dash.register_page("report", path_template="/report/<rid>", layout=lambda rid=None: html.Div(rid))
        dash.register_page("home", path="/", layout=html.Div("home"))
        app.layout = html.Div(dash.page_container)
        opendash_bodyhash.install_body_hash(app)
        for path in ("/", "/report/42", "/missing"):
            status, text = page(app, path)
            self.assertEqual(status, 200, path)
            self.assert_first_script(text, "/" + SCRIPT)


if __name__ == "__main__":
    unittest.main()
