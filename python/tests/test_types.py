"""park's type stub: it names what the module has, mypy --strict accepts the
examples and a typed program, and rejects wrong calls."""

import ast
import inspect
import os
import re
import shutil
import site
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import park  # noqa: E402
import fixtures  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "..", "docs", "examples")
PACKAGE = os.path.dirname(os.path.abspath(park.__file__))
STUB = os.path.join(PACKAGE, "__init__.pyi")
MYPY = shutil.which("mypy")
needs_mypy = unittest.skipIf(MYPY is None, "mypy is not installed "
                             "(apt-get install mypy)")


def stub_classes():
    """{class name: {member: [parameter names] or None for attributes}},
    members of the stub's own base classes included."""
    with open(STUB) as f:
        tree = ast.parse(f.read())
    classes = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        members = {}
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id in classes:
                members.update(classes[base.id])
        for item in node.body:
            if isinstance(item, ast.FunctionDef):
                args = item.args
                names = [a.arg for a in (args.posonlyargs + args.args)[1:]
                         + args.kwonlyargs]
                if args.vararg:
                    names.append("*" + args.vararg.arg)
                if args.kwarg:
                    names.append(args.kwarg.arg)
                decorated = any(isinstance(d, ast.Name) and d.id == "property"
                                for d in item.decorator_list)
                members[item.name] = None if decorated else names
            elif isinstance(item, ast.AnnAssign):
                members[item.target.id] = None
            elif isinstance(item, ast.Assign):
                for target in item.targets:
                    members[target.id] = None
        classes[node.name] = members
    return classes


def runtime_members(cls):
    """Public members defined by cls and its bases within the package."""
    names = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__ != "park":
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") and name not in ("__init__", "__enter__",
                                                     "__exit__", "__len__"):
                continue
            if inspect.isfunction(value):
                params = inspect.signature(value).parameters.values()
                names[name] = [("*" if p.kind == p.VAR_POSITIONAL else "")
                               + p.name for p in params][1:]
            else:
                names[name] = None
    return names


def mypy(*files):
    """Runs mypy --strict on files against the park under test."""
    env = dict(os.environ)
    cmd = [MYPY, "--strict", "--no-error-summary", "--cache-dir",
           os.devnull]
    parent = os.path.dirname(PACKAGE)
    if parent in site.getsitepackages() + [site.getusersitepackages()]:
        # An installed park: mypy finds it as PEP 561 says (py.typed).
        cmd += ["--python-executable", sys.executable]
    else:
        env["MYPYPATH"] = parent
    out = subprocess.run(cmd + list(files), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, env=env,
                         timeout=600)
    return out.returncode, out.stdout


class TestStub(unittest.TestCase):
    def test_stub_and_marker_are_shipped(self):
        self.assertTrue(os.path.isfile(STUB))
        self.assertTrue(os.path.isfile(os.path.join(PACKAGE, "py.typed")))

    def test_stub_names_every_public_class_and_member(self):
        stub = stub_classes()
        for name in park.__all__:
            if name == "__version__":
                continue
            cls = getattr(park, name)
            self.assertIn(name, stub)
            if name == "Stats":
                self.assertEqual(list(stub[name]), list(cls._fields))
                continue
            if name == "Wake":
                self.assertEqual({k for k in stub[name] if k != "reason"},
                                 set(cls.__members__))
                for member in cls:
                    self.assertEqual(int(member), int(getattr(cls,
                                                              member.name)))
                continue
            runtime = runtime_members(cls)
            runtime.pop("__init__", None)
            if name == "Unparker":  # made by Parker.unparker() only
                stub[name].pop("__init__", None)
            else:
                stub_init = stub[name].pop("__init__", [])
                self.assertEqual(stub_init, [p for p in inspect.signature(
                    cls).parameters], name)
            self.assertEqual(stub[name], runtime, name)


class TestMypy(unittest.TestCase):
    @needs_mypy
    def test_strict_accepts_the_examples_and_typed_usage(self):
        files = [os.path.join(HERE, "typed_usage.py")]
        files += sorted(os.path.join(EXAMPLES, f) for f in
                        os.listdir(EXAMPLES) if f.endswith(".py"))
        self.assertGreaterEqual(len(files), 3)
        rc, out = mypy(*files)
        self.assertEqual((rc, out), (0, ""))

    @needs_mypy
    def test_strict_reports_each_wrong_call(self):
        wrong = os.path.join(HERE, "typed_wrong.py")
        expected = set()
        with open(wrong) as f:
            for n, line in enumerate(f, 1):
                m = re.search(r"# wrong: ([\w-]+)", line)
                if m:
                    expected.add((n, m.group(1)))
        self.assertIn((7, "arg-type"), expected)  # p.park("soon")
        rc, out = mypy(wrong)
        self.assertEqual(rc, 1, out)
        found = {(int(m.group(1)), m.group(2)) for m in
                 re.finditer(r"typed_wrong\.py:(\d+): error: .*\[([\w-]+)\]",
                             out)}
        self.assertEqual(found, expected, out)
        self.assertIn('"park" of "Parker" has incompatible type "str"', out)


class TestTypedUsageRuns(unittest.TestCase):
    def test_typed_usage_runs(self):
        with tempfile.TemporaryDirectory() as cwd:
            out = subprocess.run([sys.executable,
                                  os.path.join(HERE, "typed_usage.py")],
                                 cwd=cwd, stdout=subprocess.PIPE, text=True,
                                 timeout=120)
        self.assertEqual(out.returncode, 0)
        self.assertTrue(out.stdout.startswith("typed usage ok"), out.stdout)


if __name__ == "__main__":
    fixtures.main()
