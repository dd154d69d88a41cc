"""Checks of the generated Python SDK against schema.json. Run by python_test.go with OPENDASH_SDK_DIR (the
generated SDK's root) and OPENDASH_SCHEMA (schema.json).

StructureTest needs only the standard library: it byte-compiles every file and reads dash_site.py's syntax
tree. ImportTest imports the SDK, which needs the `pulumi` and `pulumi_aws` packages."""
import ast
import importlib.util
import json
import keyword
import os
import pathlib
import py_compile
import sys
import tempfile
import unittest

SDK = pathlib.Path(os.environ["OPENDASH_SDK_DIR"])
SCHEMA = json.loads(pathlib.Path(os.environ["OPENDASH_SCHEMA"]).read_text())
TOKEN = "opendash:index:DashSite"
RESOURCE = SCHEMA["resources"][TOKEN]
PACKAGE = SCHEMA["language"]["python"]["packageName"]


def getters(cls):
    """{wire name: (python name, return annotation source)} for a class's @pulumi.getter properties."""
    found = {}
    for node in cls.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for dec in node.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            if ast.unparse(target) != "pulumi.getter":
                continue
            wire = node.name
            if isinstance(dec, ast.Call):
                for kw in dec.keywords:
                    if kw.arg == "name":
                        wire = kw.value.value
            found[wire] = (node.name, ast.unparse(node.returns))
    return found


def aws_class(ref):
    """The pulumi_aws class a "/aws/<version>/schema.json#/resources/aws:<module>/<x>:<Class>" ref names."""
    token = ref.split("#/resources/", 1)[1]
    _, module, cls = token.split(":")
    module = module.split("/")[0]
    if keyword.iskeyword(module):
        module += "_"
    return f"pulumi_aws.{module}.{cls}"


class StructureTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.source = (SDK / PACKAGE / "dash_site.py").read_text()
        tree = ast.parse(cls.source)
        cls.classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}

    def test_byte_compiles(self):
        files = sorted(SDK.rglob("*.py"))
        self.assertTrue(files)
        with tempfile.TemporaryDirectory() as tmp:
            for i, f in enumerate(files):
                py_compile.compile(str(f), cfile=os.path.join(tmp, f"{i}.pyc"), doraise=True)

    def test_exports_dash_site(self):
        init = (SDK / PACKAGE / "__init__.py").read_text()
        self.assertIn("from .dash_site import *", init)
        self.assertIn(f"'{TOKEN}'", self.source)

    def test_inputs(self):
        args = self.classes["DashSiteArgs"]
        props = getters(args)
        self.assertEqual(sorted(props), sorted(RESOURCE["inputProperties"]))
        init = next(n for n in args.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
        self.assertEqual(sorted(a.arg for a in init.args.kwonlyargs), sorted(p for p, _ in props.values()))
        required = set(RESOURCE.get("requiredInputs", []))
        for wire, spec in RESOURCE["inputProperties"].items():
            with self.subTest(input=wire):
                _, annotation = props[wire]
                # Plain inputs take a value only; the others also take an Output.
                self.assertEqual(annotation.startswith("pulumi.Input["), not spec.get("plain", False), annotation)
                self.assertEqual("Optional[" in annotation, wire not in required, annotation)

    def test_outputs(self):
        props = getters(self.classes["DashSite"])
        self.assertEqual(sorted(props), sorted(RESOURCE["properties"]))
        required = set(RESOURCE.get("required", []))
        for wire, spec in RESOURCE["properties"].items():
            with self.subTest(output=wire):
                _, annotation = props[wire]
                self.assertTrue(annotation.startswith("pulumi.Output["), annotation)
                self.assertEqual("Optional[" in annotation, wire not in required, annotation)
                if "$ref" in spec:
                    self.assertIn(aws_class(spec["$ref"]), annotation)


def importable(name):
    return importlib.util.find_spec(name) is not None


@unittest.skipUnless(importable("pulumi") and importable("pulumi_aws"), "needs the pulumi and pulumi_aws packages")
class ImportTest(unittest.TestCase):
    def test_import(self):
        import pulumi

        sys.path.insert(0, str(SDK))
        mod = importlib.import_module(PACKAGE)
        self.assertTrue(issubclass(mod.DashSite, pulumi.ComponentResource))
        classes = {n.name: n for n in ast.parse((SDK / PACKAGE / "dash_site.py").read_text()).body
                   if isinstance(n, ast.ClassDef)}
        for cls in ("DashSite", "DashSiteArgs"):
            for wire, (name, _) in getters(classes[cls]).items():
                self.assertIsInstance(getattr(getattr(mod, cls), name), property, f"{cls}.{name} ({wire})")
        self.assertEqual(mod.DashSiteArgs(source="app").source, "app")


if __name__ == "__main__":
    unittest.main()
