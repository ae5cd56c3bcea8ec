"""ppy_py's top level: what type checkers read (ppy_py/__init__.pyi) and what the lazy
table of __init__.py gives at run time must be the same names, each the object its
submodule defines; and importing ppy_py imports none of them."""

import ast
import json
import os

import lib_helpers
import ppy_py

STUB = os.path.join(lib_helpers.REPO, "ppy_py", "__init__.pyi")


def _stub():
    """{name: submodule} of the stub's re-exports, and its __all__."""
    tree = ast.parse(open(STUB).read())
    names, all_ = {}, None
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            assert node.level == 1
            for alias in node.names:
                assert alias.asname == alias.name, "re-export as itself: %s" % alias.name
                names[alias.name] = node.module
        elif isinstance(node, ast.Assign) and node.targets[0].id == "__all__":
            all_ = [elt.value for elt in node.value.elts]
    return names, all_


def test_stub_and_lazy_table_list_the_same_names():
    names, stub_all = _stub()
    runtime = {n: m for m, text in ppy_py._LAZY.items() for n in text.split()}
    assert names == {n: m for n, m in runtime.items() if n != "cap_last_cap"}
    assert runtime["cap_last_cap"] == "_caps" and ppy_py.cap_last_cap == ppy_py.LAST_CAP
    assert stub_all == ppy_py.__all__ == sorted(set(runtime) - {"LAST_CAP"} | {"__version__"})
    for name, module in names.items():
        sub = __import__("ppy_py." + module, fromlist=[name])
        assert getattr(ppy_py, name) is getattr(sub, name), name


def test_import_loads_no_submodule_and_star_gives_all():
    code = """
import json, sys
before = set(sys.modules)
import ppy_py
loaded = sorted(m for m in set(sys.modules) - before if m != "ppy_py")
ns = {}
exec("from ppy_py import *", ns)
print(json.dumps({"loaded": loaded, "star": sorted(k for k in ns if k != "__builtins__")}))
"""
    out = lib_helpers.run_python(code)
    assert out["loaded"] == []
    assert out["star"] == sorted(ppy_py.__all__)
    try:
        ppy_py.no_such_name
    except AttributeError as e:
        assert "no_such_name" in str(e)
    else:
        raise AssertionError("an unknown name must raise AttributeError")
