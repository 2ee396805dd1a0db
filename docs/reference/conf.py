"""Sphinx configuration of the rustgrad reference: API pages from docstrings, guides from README/docs.

`make docs` builds it with warnings as errors. The API pages are written here from API_MODULES
before Sphinx reads the sources, so adding a module to the reference is one line in that list.
"""

from __future__ import annotations

from pathlib import Path

import rustgrad

HERE = Path(__file__).resolve().parent

# One line per module of the reference; each gets a page of its public classes and functions.
# A module that only re-exports classes documented on another page is listed in REEXPORTS.
API_MODULES = [
    "rustgrad",
    "rustgrad.autograd",
    "rustgrad.math",
    "rustgrad.nn",
    "rustgrad.random",
    "rustgrad.data",
    "rustgrad.datasets",
    "rustgrad.distribute",
    "rustgrad.keras",
    "rustgrad.keras.layers",
    "rustgrad.keras.losses",
    "rustgrad.keras.optimizers",
    "rustgrad.keras.optimizers.schedules",
    "rustgrad.keras.metrics",
    "rustgrad.keras.callbacks",
    "rustgrad.keras.activations",
    "rustgrad.keras.initializers",
    "rustgrad.keras.regularizers",
    "rustgrad.keras.constraints",
    "rustgrad.keras.models",
    "rustgrad.keras.saving",
    "rustgrad.keras.utils",
    "rustgrad.keras.backend",
    "rustgrad.keras.ops",
    "rustgrad.keras.datasets.mnist",
    "rustgrad.keras.datasets.fashion_mnist",
    "rustgrad.keras.datasets.cifar10",
    "rustgrad.keras.datasets.cifar100",
    "rustgrad.keras.export",
    "rustgrad.tuner",
    "rustgrad.viz",
]
# Documented without index entries: Model and Sequential are indexed under rustgrad.keras.models
# (one class documented twice under two names is a duplicate-description warning).
REEXPORTS = {"rustgrad.keras"}


def write_api_pages() -> None:
    """One automodule page per entry of API_MODULES in api/ (rebuilt on every run, not committed)."""
    out = HERE / "api"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.rst"):
        old.unlink()
    for i, name in enumerate(API_MODULES):
        title = f"``{name}``"
        page = f"{title}\n{'=' * len(title)}\n\n.. automodule:: {name}\n"
        if name in REEXPORTS:
            page += "   :no-index:\n"
        (out / f"{i:02d}_{name}.rst").write_text(page, encoding="utf-8")


write_api_pages()

project = "rustgrad"
author = "The rustgrad authors"
copyright = "2026, The rustgrad authors"
version = release = rustgrad.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]

# Google-style docstrings only; the public API is documented member by member, in source order.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
# Docstrings write code in single backticks, as Markdown does; render it as code.
default_role = "code"

# The guides include README.md's sections, whose ### subheadings sit under the page's # title;
# that level jump is the only MyST warning silenced (references that do not resolve still fail).
suppress_warnings = ["myst.header"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"rustgrad {release}"
