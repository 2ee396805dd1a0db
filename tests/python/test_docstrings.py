"""The public API documents itself: every public class, function and method has a docstring, and the
docstring of a Python-defined one names each of its explicit parameters (Google style `Args:`).

Both checks cover every module walked, the PyO3 functions and methods of rustgrad._core too: their
docstrings are the `///` comments in src/python/*.rs and their signatures come from
`#[pyo3(signature = ...)]`. Constructors are checked where they are Python (`__init__`).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
from typing import Any, NamedTuple

import pytest

# The public modules. A new one is one more name here; OPTIONAL ones are walked once they exist
# (their packages are being written on other branches).
PUBLIC_MODULES = [
    "rustgrad",
    "rustgrad.keras",
    *(
        f"rustgrad.keras.{name}"
        for name in (
            "layers",
            "losses",
            "optimizers",
            "optimizers.schedules",
            "metrics",
            "callbacks",
            "activations",
            "initializers",
            "regularizers",
            "constraints",
            "models",
            "saving",
            "utils",
            "backend",
            "ops",
            "datasets",
            "export",
        )
    ),
    *(
        f"rustgrad.{name}"
        for name in (
            "data",
            "datasets",
            "distribute",
            "nn",
            "math",
            "random",
            "autograd",
            "functional",
        )
    ),
]
OPTIONAL_MODULES = ["rustgrad.tuner", "rustgrad.viz"]

_SKIPPED = {"self", "cls"}


def _modules() -> list[str]:
    """The listed modules, and every public rustgrad module they expose (keras.datasets.mnist)."""
    present = [m for m in OPTIONAL_MODULES if importlib.util.find_spec(m) is not None]
    queue, found = PUBLIC_MODULES + present, []
    while queue:
        name = queue.pop(0)
        if name in found:
            continue
        found.append(name)
        module = importlib.import_module(name)
        for attr in _public_names(module):
            sub = getattr(module, attr)
            sub_name = getattr(sub, "__name__", "")
            if inspect.ismodule(sub) and sub_name.startswith("rustgrad.") and "._" not in sub_name:
                queue.append(sub_name)
    return found


def _public_names(module) -> list[str]:
    """`__all__`; without one, the public names the module defines itself (as Sphinx takes them)."""
    names = getattr(module, "__all__", None)
    if names is None:
        own = module.__name__
        names = [
            n
            for n, v in vars(module).items()
            if not n.startswith("_") and getattr(v, "__module__", own) == own
        ]
    return sorted(names)


def _ours(obj) -> bool:
    return (getattr(obj, "__module__", None) or "").startswith("rustgrad")


def _is_documentable(obj) -> bool:
    return inspect.isclass(obj) or inspect.isroutine(obj)


def _members(cls):
    """(name, attribute) for each public method and property a rustgrad class defines itself."""
    for name, attr in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(attr, (staticmethod, classmethod)):
            attr = attr.__func__
        if inspect.isroutine(attr) or isinstance(attr, property) or inspect.isdatadescriptor(attr):
            yield name, attr


class Entry(NamedTuple):
    qualname: str
    obj: Any
    module: str  # the public module it was reached from
    member: bool  # a method or property of a class


def _walk() -> list[Entry]:
    """Each public class and function of the public modules, and each method of those classes."""
    seen: set[int] = set()
    out = []
    for module_name in _modules():
        module = importlib.import_module(module_name)
        for name in _public_names(module):
            obj = getattr(module, name)
            if not _is_documentable(obj) or not _ours(obj) or id(obj) in seen:
                continue
            seen.add(id(obj))
            out.append(Entry(f"{module_name}.{name}", obj, module_name, False))
            for klass in obj.__mro__ if inspect.isclass(obj) else ():
                for member_name, member in _members(klass) if _ours(klass) else ():
                    if id(member) not in seen:
                        seen.add(id(member))
                        qualname = f"{module_name}.{klass.__name__}.{member_name}"
                        out.append(Entry(qualname, member, module_name, True))
    return out


def _doc(entry: Entry) -> str:
    if inspect.isclass(entry.obj):
        return entry.obj.__dict__.get("__doc__") or ""
    if entry.member:
        # An override of a documented method keeps its base's docstring (as Sphinx autodoc does).
        return inspect.getdoc(entry.obj) or ""
    return entry.obj.__doc__ or ""


def _explicit_params(func) -> list[str]:
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return []
    kinds = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )
    return [p.name for p in sig.parameters.values() if p.kind in kinds and p.name not in _SKIPPED]


def _absent(params: list[str], text: str) -> list[str]:
    """The parameters `text` does not name (`x.alpha` or `alphas` does not name `alpha`)."""
    return [p for p in params if not re.search(rf"(?<![\w.]){re.escape(p)}\b", text)]


def _params_and_text(entry: Entry) -> tuple[list[str], str] | None:
    """A function's or constructor's parameters and the docstring that must name them."""
    obj = entry.obj
    if inspect.isclass(obj):
        # The constructor's parameters may be documented on the class, on the (private) base
        # that defines __init__, on any class between them, or on __init__ itself.
        owner = next(k for k in obj.__mro__ if "__init__" in vars(k))
        init = vars(owner)["__init__"]
        if not inspect.isfunction(init) or not _ours(owner):
            return None  # a builtin (PyO3) constructor
        between = obj.__mro__[: obj.__mro__.index(owner) + 1]
        return _explicit_params(init), "".join(vars(k).get("__doc__") or "" for k in between) + (
            init.__doc__ or ""
        )
    if not inspect.isroutine(obj):
        return None  # a property, or a PyO3 getter
    # PyO3 functions and methods have signatures too (#[pyo3(signature = ...)]).
    return _explicit_params(obj), _doc(entry)


def _missing_docstrings(entries: list[Entry]) -> list[str]:
    return [e.qualname for e in entries if not _doc(e).strip()]


def _undocumented_params(entries: list[Entry]) -> list[str]:
    problems = []
    for entry in entries:
        found = _params_and_text(entry)
        absent = _absent(*found) if found else []
        if absent:
            problems.append(f"{entry.qualname}: {', '.join(absent)}")
    return problems


# An entry of Args (`name: text`, `*args: text`, `name (type): text`) or Raises (`Error: text`); a
# longer text continues on lines indented deeper, as napoleon (the Sphinx reference) reads them.
_ENTRY = {
    "Args:": re.compile(r"\*{0,2}\w+( \([^)]*\))?: "),
    "Raises:": re.compile(r"[\w.]+( \([^)]*\))?: "),
}


def _layout_problems(entries: list[Entry]) -> list[str]:
    """Lines of Args / Raises sections that napoleon would misread as a new entry."""
    problems = []
    for entry in entries:
        section, indent = None, None
        for line in inspect.cleandoc(_doc(entry)).split("\n"):
            text = line.strip()
            depth = len(line) - len(line.lstrip())
            if text in _ENTRY or depth == 0:
                section, indent = _ENTRY.get(text), None
                continue
            if section is None or not text:
                continue
            indent = depth if indent is None else indent
            if depth == indent and not section.match(text):
                problems.append(f"{entry.qualname}: {text!r}")
    return problems


def test_the_walk_reaches_the_public_api():
    names = {e.qualname for e in _walk()}
    # A walk that silently found nothing would pass every check below.
    for expected in (
        "rustgrad.Tensor",
        "rustgrad.Tensor.backward",
        "rustgrad.add",
        "rustgrad.keras.Model.fit",
        "rustgrad.keras.layers.Dense",
        "rustgrad.keras.optimizers.Adam",
        "rustgrad.keras.callbacks.Callback.on_epoch_end",
        "rustgrad.data.Dataset",
    ):
        assert expected in names, expected
    assert len(names) > 400


def test_every_public_name_has_a_docstring():
    missing = _missing_docstrings(_walk())
    assert not missing, f"{len(missing)} public names without a docstring:\n" + "\n".join(missing)


def test_every_parameter_is_named_in_its_docstring():
    problems = _undocumented_params(_walk())
    assert not problems, f"{len(problems)} docstrings miss parameters:\n" + "\n".join(problems)


def test_args_and_raises_entries_are_google_style():
    problems = _layout_problems(_walk())
    assert not problems, f"{len(problems)} lines napoleon misreads:\n" + "\n".join(problems)


def _example(x, alpha=1.0, *args, beta, **kwargs):
    """Args: x: the input. beta: a keyword."""


@pytest.mark.parametrize(
    "doc, absent",
    [
        ("Args:\n    x: the input.\n    alpha: a scale.\n    beta: a keyword.", []),
        ("Args:\n    x: the input.\n    beta: a keyword.", ["alpha"]),
        ("Args:\n    x.alpha: a dotted name is not the parameter.\n    beta: b.", ["alpha"]),
    ],
)
def test_the_parameter_check_catches_an_absent_name(doc, absent):
    params = _explicit_params(_example)
    assert params == ["x", "alpha", "beta"]
    assert _absent(params, doc) == absent


class _Sample:
    """A class whose constructor documents one of its two parameters.

    Args:
        a: documented.
    """

    __module__ = "rustgrad.sample"  # the walk only holds rustgrad's own classes to the checks

    def __init__(self, a, b):
        self.a, self.b = a, b

    def documented(self, x):
        """Does nothing.

        Args:
            x: named.
        """

    def undocumented(self, x):
        pass

    def misaligned(self, y):
        """Does nothing.

        Args:
            y: a text that goes on
            past its line at the entry indentation.

        Raises:
            ValueError: never.
        """

    @property
    def value(self):
        return self.a


class _Child(_Sample):
    def documented(self, x):  # keeps _Sample.documented's docstring
        pass


def _entries(cls) -> list[Entry]:
    members = [Entry(f"{cls.__name__}.{n}", a, "m", True) for n, a in _members(cls)]
    return [Entry(cls.__name__, cls, "m", False), *members]


def test_the_checks_name_what_is_missing():
    entries = _entries(_Sample)
    assert _missing_docstrings(entries) == ["_Sample.undocumented", "_Sample.value"]
    assert _undocumented_params(entries) == ["_Sample: b", "_Sample.undocumented: x"]
    # An override without a docstring of its own keeps its base's, as Sphinx shows it.
    assert _missing_docstrings(_entries(_Child)) == ["_Child"]
    assert _layout_problems(entries) == [
        "_Sample.misaligned: 'past its line at the entry indentation.'"
    ]
