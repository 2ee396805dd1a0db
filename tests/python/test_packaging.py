"""Packaging: one version everywhere, MIT licence, no CPU-specific build flags, the archives' contents.

`make test-dist` runs the whole suite again against the wheel installed in a fresh virtualenv and
sets RUSTGRAD_EXPECT_INSTALLED to that venv; the test below then proves the import came from it.
"""

from __future__ import annotations

import importlib.metadata
import io
import os
import re
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import rustgrad

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import check_dist

VERSION = check_dist.cargo_version()


def test_version_is_cargo_tomls_everywhere():
    assert rustgrad.__version__ == VERSION
    assert importlib.metadata.version("rustgrad") == VERSION


def test_pyproject_takes_the_version_from_cargo():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    assert re.search(r'^dynamic\s*=\s*\[\s*"version"\s*\]', project, re.MULTILINE)
    assert not re.search(r"^version\s*=", project, re.MULTILINE)


def test_no_file_asks_for_a_cpu_of_its_own():
    # A target-cpu or target-feature flag would make the wheel crash on CPUs without it.
    config = [ROOT / "Cargo.toml", ROOT / "pyproject.toml", ROOT / "Makefile", ROOT / ".ci" / "run"]
    config += sorted((ROOT / ".cargo").glob("config*"))
    for path in config:
        text = path.read_text(encoding="utf-8")
        for flag in ("target-cpu", "target-feature", "-C target", "RUSTFLAGS"):
            assert flag not in text, f"{path.name} sets {flag}"


def test_licence_is_mit_in_the_file_and_both_manifests():
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert re.search(r'^license\s*=\s*"MIT"', (ROOT / "Cargo.toml").read_text(), re.MULTILINE)
    assert re.search(r'^license\s*=\s*"MIT"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)


def test_changelog_has_unreleased_and_this_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "\n## Unreleased\n" in text
    assert f"\n## {VERSION}\n" in text


def test_the_package_ships_its_stub_and_typed_marker():
    here = Path(rustgrad.__file__).parent
    assert (here / "_core.pyi").is_file() and (here / "py.typed").is_file()


def fake_wheel(tmp_path: Path, name: str, files: list[str]) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as z:
        for f in files:
            z.writestr(f, "")
    return path


def fake_sdist(tmp_path: Path, name: str, files: list[str]) -> Path:
    path = tmp_path / name
    with tarfile.open(path, "w:gz") as t:
        for f in files:
            t.addfile(tarfile.TarInfo(f), io.BytesIO(b""))
    return path


def test_a_complete_wheel_passes_and_each_lack_is_named(tmp_path):
    good = [*check_dist.WHEEL_FILES, f"rustgrad-{VERSION}.dist-info/licenses/LICENSE"]
    name = f"rustgrad-{VERSION}-cp39-abi3-manylinux_2_34_x86_64.whl"
    assert check_dist.wheel_problems(fake_wheel(tmp_path, name, good), VERSION) == []
    missing = [f for f in good if not f.endswith(("py.typed", "LICENSE"))]
    problems = check_dist.wheel_problems(fake_wheel(tmp_path, name, missing), VERSION)
    assert any("py.typed" in p for p in problems) and any("LICENSE" in p for p in problems)
    local = f"rustgrad-{VERSION}-cp39-abi3-linux_x86_64.whl"
    assert (
        "not a cp39-abi3-manylinux"
        in check_dist.wheel_problems(fake_wheel(tmp_path, local, good), VERSION)[0]
    )
    old = "rustgrad-0.0.1-cp39-abi3-manylinux_2_34_x86_64.whl"
    assert (
        "Cargo.toml says" in check_dist.wheel_problems(fake_wheel(tmp_path, old, good), VERSION)[0]
    )


def test_a_complete_sdist_passes_and_lacks_or_build_output_are_named(tmp_path):
    top = f"rustgrad-{VERSION}"
    good = [f"{top}/{f}" for f in check_dist.SDIST_FILES]
    assert check_dist.sdist_problems(fake_sdist(tmp_path, f"{top}.tar.gz", good), VERSION) == []
    bad = [f for f in good if not f.endswith("LICENSE")] + [f"{top}/target/release/x"]
    problems = check_dist.sdist_problems(fake_sdist(tmp_path, f"{top}.tar.gz", bad), VERSION)
    assert sorted(problems) == sorted(
        [f"{top}.tar.gz lacks LICENSE", f"{top}.tar.gz holds target/"]
    )


def test_the_archives_make_dist_built():
    dist = ROOT / "dist"
    if not dist.is_dir():
        pytest.skip("no dist/ yet: `make dist` builds it")
    assert check_dist.dist_problems(dist) == []


def test_this_run_imports_the_installed_wheel_when_asked_to():
    venv = os.environ.get("RUSTGRAD_EXPECT_INSTALLED")
    if not venv:
        pytest.skip("RUSTGRAD_EXPECT_INSTALLED is unset: not the installed-wheel run")
    assert check_dist.installed_problems(Path(venv)) == []
    assert not Path(rustgrad.__file__).resolve().is_relative_to(ROOT)
