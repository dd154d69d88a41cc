"""Tests for bundler/extract/requirements.py and installed.py (the requirement check and the version
lookups), run by `go test ./bundler/extract/` with the machine's python3. OPENDASH_EXTRACT_DIR names the
folder of the files under test; they are loaded into one namespace, as extract.py runs them."""

import importlib
import os
import shutil
import sys
import tempfile
import types
import unittest

installed = types.ModuleType("installed")
for _name in ("installed.py", "requirements.py"):
    with open(os.path.join(os.environ["OPENDASH_EXTRACT_DIR"], _name), encoding="utf-8") as fh:
        exec(compile(fh.read(), _name, "exec"), installed.__dict__)

LINUX_ENV = {
    "os_name": "posix", "sys_platform": "linux", "platform_machine": "x86_64",
    "platform_python_implementation": "CPython", "platform_release": "6.1.0-18-amd64",
    "platform_system": "Linux", "platform_version": "#1 SMP", "python_version": "3.11",
    "python_full_version": "3.11.7", "implementation_name": "cpython", "implementation_version": "3.11.7",
}


class VersionTest(unittest.TestCase):
    def test_order(self):
        ordered = ["1.0.dev1", "1.0a1", "1.0a2.dev3", "1.0a2", "1.0b1", "1.0rc1", "1.0", "1.0.post1", "1.0.1",
                   "1.1", "2!0.1"]
        keys = [installed.Version(v) for v in ordered]
        for a, b in zip(keys, keys[1:]):
            self.assertLess(a, b, f"{a.text} < {b.text}")

    def test_equal_forms(self):
        self.assertEqual(installed.Version("1.0"), installed.Version("1.0.0"))
        self.assertEqual(installed.Version("1.0-1"), installed.Version("1.0.post1"))
        self.assertEqual(installed.Version("v2.0RC1"), installed.Version("2.0rc1"))

    def test_not_pep440(self):
        with self.assertRaises(installed.Undecidable):
            installed.Version("2013b-debian")


class SpecifierTest(unittest.TestCase):
    CASES = [
        ("", "0.1", True), (">=2.18", "2.18.2", True), (">=2.18", "2.17.9", False),
        (">=1.0.4,<3.2", "3.1.3", True), (">=1.0.4,<3.2", "3.2.0", False), ("(<3.2,>=1.0.4)", "2.2.2", True),
        ("==4.3.0", "4.3.0", True), ("==4.3", "4.3.0", True), ("==4.3.0", "4.3.1", False),
        ("==4.3.*", "4.3.9", True), ("==4.3.*", "4.4.0", False), ("!=1.5.7", "1.5.7", False),
        ("!=1.5.*", "1.6", True), ("~=2.2", "2.9", True), ("~=2.2", "3.0", False), ("~=2.2.1", "2.2.5", True),
        ("~=2.2.1", "2.3.0", False), ("<=5.0.4", "5.0.4", True), (">1.0", "1.0", False),
        ("==1.0", "1.0+cpu", True), ("===1.0+cpu", "1.0+cpu", True), ("===1.0", "1.0.0", False),
    ]

    def test_cases(self):
        for spec, version, want in self.CASES:
            with self.subTest(spec=spec, version=version):
                self.assertEqual(installed.specifier_contains(spec, version), want)

    def test_undecidable(self):
        for spec in ("~=2", ">= 1 2", "@ https://x"):
            with self.subTest(spec=spec), self.assertRaises(installed.Undecidable):
                installed.specifier_contains(spec, "1.0")


class DisagreementsTest(unittest.TestCase):
    INSTALLED = {"dash": "2.18.2", "Flask": "3.1.3", "plotly": "5.24.1"}
    CASES = [
        (["dash==0.39.0"], {"dash==0.39.0": "2.18.2"}),  # pinned in requirements.txt, another installed
        (["dash>=2.18,<3", "flask~=3.1"], {}),
        (["Dash<2", "FLASK==3.0.*"], {"Dash<2": "2.18.2", "FLASK==3.0.*": "3.1.3"}),  # names normalised
        (["dash[diskcache]==2.17.1 ; python_version >= '3.8'"], {"dash[diskcache]==2.17.1 ; python_version >= '3.8'": "2.18.2"}),
        (["numpy==2.0"], {}),  # not installed: the pin step says so
        (["dash~=2", "plotly @ https://x/plotly.whl"], {}),  # undecidable: left to pip
    ]

    def test_cases(self):
        for lines, want in self.CASES:
            with self.subTest(lines=lines):
                self.assertEqual(installed.disagreements(lines, self.INSTALLED), want)


class MarkerTest(unittest.TestCase):
    CASES = [
        ('python_version >= "3.10"', set(), True), ('python_version < "3.8"', set(), False),
        ('sys_platform == "win32"', set(), False), ("os_name == 'posix' and platform_machine == 'x86_64'", set(), True),
        ('sys_platform == "win32" or python_full_version >= "3.11.0"', set(), True),
        ('(sys_platform == "darwin" or sys_platform == "win32") and python_version > "3"', set(), False),
        ('extra == "ci"', set(), False), ('extra == "ci"', {"ci"}, True), ('extra == "Dev_Tools"', {"dev-tools"}, True),
        ('"linux" in sys_platform', set(), True), ('platform_machine not in "arm64 aarch64"', set(), True),
        ('python_version >= "3.10" and extra == "async"', {"async"}, True),
    ]

    def test_cases(self):
        for marker, extras, want in self.CASES:
            with self.subTest(marker=marker, extras=extras):
                self.assertEqual(installed.evaluate_marker(marker, LINUX_ENV, frozenset(extras)), want)

    def test_undecidable(self):
        for marker in ('python_version >=', 'unknown_var == "x"', '(python_version > "3"', 'extra > "a"'):
            with self.subTest(marker=marker), self.assertRaises(installed.Undecidable):
                installed.evaluate_marker(marker, LINUX_ENV, frozenset())

    def test_this_interpreter(self):
        env = installed.marker_environment()
        self.assertEqual(set(env), set(LINUX_ENV))
        self.assertTrue(installed.evaluate_marker('python_version >= "3"', env, frozenset()))


class SiteTest(unittest.TestCase):
    """check_requirements and distributions against a made-up site-packages folder on sys.path."""

    def setUp(self):
        self.site = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.site)
        sys.path.insert(0, self.site)
        self.addCleanup(sys.path.remove, self.site)
        installed._index = None
        self.addCleanup(importlib.invalidate_caches)

    def dist(self, name, version, requires=(), top_level=None, egg_requires=None):
        if egg_requires is not None:
            folder = os.path.join(self.site, f"{name.replace('-', '_')}-{version}.egg-info")
            os.makedirs(folder)
            self.write(folder, "PKG-INFO", f"Metadata-Version: 1.2\nName: {name}\nVersion: {version}\n")
            self.write(folder, "requires.txt", egg_requires)
        else:
            folder = os.path.join(self.site, f"{name.replace('-', '_')}-{version}.dist-info")
            os.makedirs(folder)
            lines = "".join(f"Requires-Dist: {r}\n" for r in requires)
            self.write(folder, "METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{lines}\n"
                                           "Requires-Dist: not-a-header (this is the long description)\n")
            self.write(folder, "RECORD", "")
        if top_level is not None:
            self.write(folder, "top_level.txt", top_level + "\n")
        importlib.invalidate_caches()
        installed._index = None  # it lists each folder once per check; this site just changed

    @staticmethod
    def write(folder, name, text):
        with open(os.path.join(folder, name), "w", encoding="utf-8") as fh:
            fh.write(text)

    def test_satisfied_with_dependencies(self):
        self.dist("odt-app", "2.0", ["odt-lib (>=1.0)", 'odt-win ; sys_platform == "win32"',
                                     'odt-extra ; extra == "more"'])
        self.dist("odt-lib", "1.5", egg_requires="odt-base>=3\n\n[socks]\nodt-socks\n")
        self.dist("odt-base", "3.1")
        checked, missing = installed.check_requirements(["odt-app>=2"])
        self.assertEqual(missing, [])
        self.assertEqual(checked, 3)

    def test_missing_dependency_and_old_version(self):
        self.dist("odt-app", "2.0", ["odt-lib (>=1.0)"])
        self.dist("odt-lib", "1.5", ["odt-gone"])
        self.dist("odt-old", "0.9")
        _, missing = installed.check_requirements(["odt-app", "odt-old>=1.0"])
        self.assertEqual(len(missing), 2, missing)
        self.assertIn("odt-gone (required by odt-lib 1.5): not installed", missing)
        self.assertIn("odt-old>=1.0 (required by requirements.txt): 0.9 is installed", missing)

    def test_extras_pull_their_dependencies(self):
        self.dist("odt-app", "2.0", ['odt-extra ; extra == "more"'])
        self.assertEqual(installed.check_requirements(["odt-app"])[1], [])
        _, missing = installed.check_requirements(["odt-app[more]"])
        self.assertEqual(len(missing), 1)
        self.assertIn("odt-extra", missing[0])
        self.dist("odt-extra", "1.0")
        self.assertEqual(installed.check_requirements(["odt-app[more]"])[1], [])

    def test_marker_excluded_requirement_is_not_needed(self):
        self.assertEqual(installed.check_requirements(['odt-nowhere ; python_version < "3"'])[1], [])

    def test_zip_on_path_falls_back_to_importlib(self):
        self.dist("odt-app", "2.0")
        archive = os.path.join(self.site, "odt_zipped.zip")
        import zipfile

        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("odt_zipped-3.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: odt-zipped\nVersion: 3.0\n")
        sys.path.insert(0, archive)
        self.addCleanup(sys.path.remove, archive)
        installed._index = None
        self.assertEqual(installed.check_requirements(["odt-zipped>=3", "odt-app"]), (2, []))

    def test_egg_requires_sections(self):
        got = installed._egg_requires("a>=1\n[socks]\nb\n[:sys_platform == 'win32']\nc\n[x:python_version<'3']\nd\n")
        self.assertEqual(got, ["a>=1", 'b; extra == "socks"', "c; (sys_platform == 'win32')",
                               "d; extra == \"x\" and (python_version<'3')"])

    def test_url_requirement_is_undecidable(self):
        self.dist("odt-app", "2.0", ["odt-lib @ https://example.com/odt_lib-1.0.whl"])
        with self.assertRaises(installed.Undecidable):
            installed.check_requirements(["odt-app"])

    def test_distributions(self):
        self.dist("odt-suite", "1.2.3", top_level="odt_suite")
        self.dist("odt-named-apart", "4.5", top_level="odt_other")
        app = types.SimpleNamespace(registered_paths={"odt_suite": set(), "odt_other": set(), "missing": set()})
        versions, must_pin = installed.distributions(app, ["odt-suite", "not-installed"])
        self.assertEqual(must_pin, ["dash", "odt-named-apart", "odt-suite"])
        self.assertEqual(versions["odt-suite"], "1.2.3")
        self.assertEqual(versions["odt-named-apart"], "4.5")
        self.assertNotIn("not-installed", versions)

    def test_import_paths(self):
        paths = installed.import_paths(os.path.abspath(self.site + "-source"))
        self.assertIn(os.path.abspath(self.site), paths)
        self.assertEqual(paths, sorted(set(paths)))
        self.assertNotIn(os.path.abspath(self.site), installed.import_paths(os.path.abspath(self.site)))


if __name__ == "__main__":
    unittest.main()
