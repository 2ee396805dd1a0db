"""python/rustgrad/_core.pyi is honest: it declares exactly what the compiled `rustgrad._core` has.

The check parses the stub with `ast` and compares it with the live module through `inspect`, so no
type checker (mypy, pyright) is needed. It fails on purpose when someone adds a binding in
src/python/*.rs (a #[pyfunction], a #[pymethods] method or getter, a class, an exception) without
its line in _core.pyi, or removes one and leaves the line behind: the message names the line to add.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import types
from pathlib import Path

import pytest
from rustgrad import _core

STUB = Path(_core.__file__).with_name("_core.pyi")
TREE = ast.parse(STUB.read_text(encoding="utf-8"), filename=str(STUB))

# Inherited from object or added by CPython: a stub may leave these out. The constructor (__new__ at
# run time, __init__ in the stub) is compared by test_signatures_match["Class()"] instead.
OPTIONAL_DUNDERS = {"__doc__", "__module__", "__dict__", "__weakref__", "__repr__", "__str__"}
OPTIONAL_DUNDERS |= {"__format__", "__new__", "__init__"}
# A property is read-write at run time iff the stub has a setter; probed on one instance per class.
INSTANCES = {
    "Tensor": lambda: _core.tensor([1.0, 2.0]),
    "Layer": lambda: _core.Layer.flatten(),
    "Model": lambda: _core.Model([_core.Layer.flatten()]),
    "Optimizer": lambda: _core.Optimizer("sgd"),
}
AST_KINDS = {
    "posonlyargs": inspect.Parameter.POSITIONAL_ONLY,
    "args": inspect.Parameter.POSITIONAL_OR_KEYWORD,
    "kwonlyargs": inspect.Parameter.KEYWORD_ONLY,
}


def dotted(node: ast.expr) -> str:
    return ast.unparse(node)


def stub_kind(node: ast.stmt) -> str:
    """class / function at module level; method / property / staticmethod / ... in a class."""
    if isinstance(node, ast.ClassDef):
        return "class"
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return "attribute"
    decorators = {dotted(d) for d in node.decorator_list}
    if "property" in decorators or any(d.endswith((".setter", ".deleter")) for d in decorators):
        return "property"
    for kind in ("staticmethod", "classmethod"):
        if kind in decorators:
            return kind
    return "function"


def stub_names(body: list[ast.stmt]) -> dict[str, list[ast.stmt]]:
    """Declared names (imports excluded) with their nodes; a property and its setter share a name."""
    out: dict[str, list[ast.stmt]] = {}
    for node in body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            out.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.setdefault(node.target.id, []).append(node)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    out.setdefault(t.id, []).append(node)
    return out


STUB_TOP = stub_names(TREE.body)
STUB_PUBLIC = {n: nodes for n, nodes in STUB_TOP.items() if not n.startswith("_")}
STUB_CLASSES = {n: nodes[0] for n, nodes in STUB_TOP.items() if isinstance(nodes[0], ast.ClassDef)}
IMPORTS: dict[str, str] = {}  # local name -> module, for `import numpy as np`
FROM_IMPORTS: dict[str, tuple[str, str]] = {}  # local name -> (module, name)
# Bundled with every type checker but maybe absent at run time (typing_extensions is no dependency);
# builtins.ellipsis is typeshed's name for type(...).
TYPESHED_ONLY = {"typing_extensions", "builtins"}
for _node in TREE.body:
    if isinstance(_node, ast.Import):
        IMPORTS.update({a.asname or a.name: a.name for a in _node.names})
    elif isinstance(_node, ast.ImportFrom):
        FROM_IMPORTS.update({a.asname or a.name: (_node.module, a.name) for a in _node.names})

RUNTIME_PUBLIC = {n: getattr(_core, n) for n in dir(_core) if not n.startswith("_")}
RUNTIME_CLASSES = sorted(n for n, v in RUNTIME_PUBLIC.items() if isinstance(v, type))


def runtime_kind(value: object) -> str:
    if isinstance(value, type):
        return "class"
    if isinstance(value, staticmethod):
        return "staticmethod"
    if isinstance(value, (classmethod, types.ClassMethodDescriptorType)):
        return "classmethod"
    if isinstance(value, (property, types.GetSetDescriptorType, types.MemberDescriptorType)):
        return "property"
    return "function" if callable(value) else "attribute"


def class_members(cls: type) -> dict[str, object]:
    """The class's own attributes that a stub must declare (public names and operator dunders)."""
    return {n: v for n, v in vars(cls).items() if n not in OPTIONAL_DUNDERS}


def test_stub_and_marker_ship_next_to_the_extension():
    assert STUB.is_file(), f"{STUB} is missing"
    assert STUB.with_name("py.typed").is_file(), "py.typed marks the package as typed (PEP 561)"
    assert STUB.read_text(encoding="utf-8").startswith("# "), "the stub opens with what lives there"


def test_module_names_match():
    missing = sorted(set(RUNTIME_PUBLIC) - set(STUB_PUBLIC))
    extra = sorted(set(STUB_PUBLIC) - set(RUNTIME_PUBLIC))
    assert not missing, f"rustgrad._core has {missing} but _core.pyi does not declare them"
    assert not extra, f"_core.pyi declares {extra} but rustgrad._core has no such names"
    wrong = {
        n: (runtime_kind(v), stub_kind(STUB_PUBLIC[n][0]))
        for n, v in RUNTIME_PUBLIC.items()
        if runtime_kind(v) != stub_kind(STUB_PUBLIC[n][0])
    }
    assert not wrong, f"kind differs (runtime, stub): {wrong}"


@pytest.mark.parametrize("name", RUNTIME_CLASSES)
def test_class_members_match(name):
    cls = RUNTIME_PUBLIC[name]
    assert name in STUB_CLASSES, f"class {name} has no stub"
    node = STUB_CLASSES[name]
    bases = [dotted(b) for b in node.bases] or ["object"]
    assert bases == [b.__name__ for b in cls.__bases__], f"{name}: stub bases {bases}"
    runtime = class_members(cls)
    declared = stub_names(node.body)
    missing = sorted(set(runtime) - set(declared))
    extra = sorted(set(declared) - set(runtime) - OPTIONAL_DUNDERS)
    assert not missing, f"{name} has {missing} at run time but _core.pyi does not declare them"
    assert not extra, f"_core.pyi declares {name}.{extra} but the class has no such attributes"
    wrong = {
        n: (runtime_kind(v), stub_kind(declared[n][0]))
        for n, v in runtime.items()
        if runtime_kind(v) != stub_kind(declared[n][0])
    }
    assert not wrong, f"{name}: kind differs (runtime, stub): {wrong}"


@pytest.mark.parametrize("name", sorted(set(RUNTIME_CLASSES) & set(INSTANCES)))
def test_property_setters_match(name):
    obj = INSTANCES[name]()
    declared = stub_names(STUB_CLASSES[name].body)
    for attr, value in class_members(RUNTIME_PUBLIC[name]).items():
        if runtime_kind(value) != "property":
            continue
        try:
            setattr(obj, attr, getattr(obj, attr))
            writable = True
        except AttributeError:
            writable = False
        has_setter = any(
            dotted(d).endswith(".setter") for n in declared[attr] for d in n.decorator_list
        )
        assert writable == has_setter, (
            f"{name}.{attr}: writable={writable}, stub setter={has_setter}"
        )


def stub_params(fn: ast.FunctionDef, drop_first: bool) -> list[tuple[str, object, object]]:
    """(name, kind, default) per parameter; the default is a literal's value, ... or empty."""
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults = [inspect.Parameter.empty] * (len(positional) - len(a.defaults)) + list(a.defaults)
    kw_defaults = [inspect.Parameter.empty if d is None else d for d in a.kw_defaults]
    out = []
    for field, kind in AST_KINDS.items():
        for arg in getattr(a, field):
            if field == "kwonlyargs":
                default = kw_defaults[a.kwonlyargs.index(arg)]
            else:
                default = defaults[positional.index(arg)]
            out.append((arg.arg, kind, default))
        if field == "args" and a.vararg:
            out.append((a.vararg.arg, inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.empty))
    if a.kwarg:
        out.append((a.kwarg.arg, inspect.Parameter.VAR_KEYWORD, inspect.Parameter.empty))
    out = out[1:] if drop_first else out
    return [(n, k, d if not isinstance(d, ast.expr) else ast.literal_eval(d)) for n, k, d in out]


def signature_cases():
    """(id, runtime callable, stub class or None, stub name, whether the runtime lists self)."""
    for name, value in RUNTIME_PUBLIC.items():
        if runtime_kind(value) == "function":
            yield name, value, None, name, False
    for cname in RUNTIME_CLASSES:
        cls = RUNTIME_PUBLIC[cname]
        yield f"{cname}()", cls, cname, "__init__", False
        for attr, raw in class_members(cls).items():
            # Slot wrappers (__add__, __call__ ...) carry CPython's generic names, not ours.
            kind = runtime_kind(raw)
            if kind in ("function", "staticmethod", "classmethod") and not isinstance(
                raw, types.WrapperDescriptorType
            ):
                yield f"{cname}.{attr}", getattr(cls, attr), cname, attr, kind == "function"


@pytest.mark.parametrize("case", list(signature_cases()), ids=lambda c: c[0])
def test_signatures_match(case):
    label, obj, owner, name, runtime_self = case
    if owner is None:
        nodes = STUB_TOP.get(name, [])
    else:
        nodes = stub_names(STUB_CLASSES[owner].body).get(name, []) if owner in STUB_CLASSES else []
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        sig = None
    if sig is None:
        # No text signature: for a class that means no constructor, so the stub must not add one.
        assert name != "__init__" or not nodes, f"{label}: stub declares a constructor"
        return
    assert nodes, f"{label}: no stub declaration"
    fn = nodes[0]
    runtime = [(p.name, p.kind, p.default) for p in sig.parameters.values()][runtime_self:]
    declared = stub_params(fn, drop_first=owner is not None and stub_kind(fn) != "staticmethod")
    assert [r[:2] for r in runtime] == [d[:2] for d in declared], f"{label}: parameters differ"
    for (param, _, have), (_, _, want) in zip(runtime, declared):
        assert (have is inspect.Parameter.empty) == (want is inspect.Parameter.empty), (
            f"{label}: {param} has a default in only one of runtime and stub"
        )
        # pyo3 writes `...` for defaults it cannot render (e.g. -1); a stub may write `...` too.
        if have is not Ellipsis and want is not Ellipsis:
            assert have == want, f"{label}: default of {param} is {have!r}, stub says {want!r}"


def annotations() -> list[ast.expr]:
    """Every type expression of the stub: parameter and return annotations, aliases and bases."""
    out: list[ast.expr] = []
    for node in ast.walk(TREE):
        if isinstance(node, ast.FunctionDef):
            a = node.args
            every = a.posonlyargs + a.args + a.kwonlyargs + [x for x in (a.vararg, a.kwarg) if x]
            out += [x.annotation for x in every if x.annotation]
            out += [node.returns] if node.returns else []
        elif isinstance(node, ast.AnnAssign):
            out += [node.annotation] + ([node.value] if node.value else [])
        elif isinstance(node, ast.ClassDef):
            out += node.bases
    out += [n.value for n in TREE.body if isinstance(n, ast.Assign)]
    return out


def resolves(name: str) -> bool:
    """A name or dotted name exists: declared in the stub, a builtin, or found in its module."""
    head, *rest = name.split(".")
    if FROM_IMPORTS.get(head, ("",))[0] in TYPESHED_ONLY or IMPORTS.get(head) in TYPESHED_ONLY:
        return True
    if head in IMPORTS:
        obj = importlib.import_module(IMPORTS[head])
    elif head in FROM_IMPORTS:
        module, attr = FROM_IMPORTS[head]
        obj = getattr(importlib.import_module(module), attr, None)
    else:
        return not rest and (head in STUB_TOP or hasattr(builtins, head))
    for part in rest:
        obj = getattr(obj, part, None)
    return obj is not None


def test_annotations_name_real_things():
    """Catches a typo such as `np.flaot32` or `Tenser` without running a type checker."""
    used = set()
    for expr in annotations():
        for node in ast.walk(expr):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                used.add(dotted(node))
            elif isinstance(node, ast.Name):
                used.add(node.id)
    bad = sorted(n for n in used if not resolves(n))
    assert not bad, f"_core.pyi uses undefined names {bad}"
