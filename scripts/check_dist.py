"""Check what `make dist` built: the wheel's tag and contents, the sdist's contents, or an installed copy.

Usage: python scripts/check_dist.py DIST_DIR      (the wheel and sdist in DIST_DIR)
       python scripts/check_dist.py --installed VENV  (rustgrad imported from VENV's site-packages)
Exits 1 and names every problem found.
"""

from __future__ import annotations

import re
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# abi3 for CPython 3.9+, and a manylinux (PEP 600) tag rather than the local-only linux_x86_64.
WHEEL_NAME = re.compile(r"rustgrad-(?P<version>[^-]+)-cp39-abi3-manylinux_2_\d+_x86_64\.whl$")
WHEEL_FILES = (
    "rustgrad/__init__.py",
    "rustgrad/_core.abi3.so",
    "rustgrad/_core.pyi",
    "rustgrad/py.typed",
)
SDIST_FILES = ("LICENSE", "Cargo.toml", "Cargo.lock", "pyproject.toml", "README.md", "src/lib.rs")
SDIST_FILES += (
    "python/rustgrad/__init__.py",
    "python/rustgrad/_core.pyi",
    "python/rustgrad/py.typed",
)


def cargo_version() -> str:
    """The version in Cargo.toml's [package] table, the project's one place for it.

    Returns:
        The version string.

    Raises:
        ValueError: Cargo.toml has no version in its [package] table.
    """
    text = (ROOT / "Cargo.toml").read_text(encoding="utf-8")
    found = re.search(
        r'^\[package\][^\[]*?^version\s*=\s*"([^"]+)"', text, re.MULTILINE | re.DOTALL
    )
    if not found:
        raise ValueError("Cargo.toml has no [package] version")
    return found.group(1)


def wheel_problems(path: Path, version: str) -> list[str]:
    """What is wrong with the wheel at `path` for `version` (empty when nothing is).

    Args:
        path: the .whl file.
        version: the version it must carry.

    Returns:
        One message per problem: its name's tag or version, and each file it lacks.
    """
    problems = []
    name = WHEEL_NAME.match(path.name)
    if not name:
        problems.append(f"{path.name}: not a cp39-abi3-manylinux_2_N_x86_64 wheel")
    elif name["version"] != version:
        problems.append(f"{path.name}: version {name['version']}, Cargo.toml says {version}")
    with zipfile.ZipFile(path) as z:
        listed = set(z.namelist())
    info = f"rustgrad-{version}.dist-info"
    for want in WHEEL_FILES:
        if want not in listed:
            problems.append(f"{path.name} lacks {want}")
    if not {f"{info}/licenses/LICENSE", f"{info}/LICENSE"} & listed:
        problems.append(f"{path.name} lacks {info}/licenses/LICENSE")
    return problems


def sdist_problems(path: Path, version: str) -> list[str]:
    """What is wrong with the sdist at `path` for `version` (empty when nothing is).

    Args:
        path: the .tar.gz file.
        version: the version it must carry.

    Returns:
        One message per problem: a wrong name, each file it lacks, build output it should not hold.
    """
    top = f"rustgrad-{version}"
    problems = [] if path.name == f"{top}.tar.gz" else [f"{path.name}: expected {top}.tar.gz"]
    with tarfile.open(path) as t:
        listed = set(t.getnames())
    for want in SDIST_FILES:
        if f"{top}/{want}" not in listed:
            problems.append(f"{path.name} lacks {want}")
    for junk in ("target/", ".venv/", "dist/"):
        if any(n.startswith(f"{top}/{junk}") for n in listed):
            problems.append(f"{path.name} holds {junk}")
    return problems


def dist_problems(folder: Path) -> list[str]:
    """Problems of the one wheel and one sdist `make dist` leaves in `folder`.

    Args:
        folder: the dist/ folder.

    Returns:
        One message per problem (empty when both archives are right).
    """
    version = cargo_version()
    wheels, sdists = sorted(folder.glob("*.whl")), sorted(folder.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        return [
            f"{folder}: expected one wheel and one sdist, found {len(wheels)} and {len(sdists)}"
        ]
    return wheel_problems(wheels[0], version) + sdist_problems(sdists[0], version)


def installed_problems(venv: Path) -> list[str]:
    """Problems of the rustgrad this interpreter imports, which must be VENV's installed copy.

    Args:
        venv: the virtualenv the wheel was installed into.

    Returns:
        One message per problem: imported from elsewhere or from the source tree, or metadata
        whose version differs from `rustgrad.__version__`.
    """
    import importlib.metadata
    import site

    import rustgrad

    where = Path(rustgrad.__file__).resolve()
    sites = [Path(p).resolve() for p in site.getsitepackages()]
    print(f"rustgrad {rustgrad.__version__} imported from {where}")
    problems = []
    if not any(where.is_relative_to(s) and s.is_relative_to(venv.resolve()) for s in sites):
        problems.append(f"rustgrad imported from {where}, not from {venv}'s site-packages")
    if where.is_relative_to(ROOT):
        problems.append(f"rustgrad imported from the source tree ({where})")
    if importlib.metadata.version("rustgrad") != rustgrad.__version__:
        problems.append("the installed metadata's version differs from rustgrad.__version__")
    return problems


def main(argv: list[str]) -> int:
    """Run the check the arguments ask for and print the problems.

    Args:
        argv: `[DIST_DIR]` or `["--installed", VENV]`.

    Returns:
        The exit status: 0, 1 when there are problems, 2 for bad arguments.
    """
    if len(argv) == 2 and argv[0] == "--installed":
        problems = installed_problems(Path(argv[1]))
    elif len(argv) == 1:
        problems = dist_problems(Path(argv[0]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in problems:
        print(f"check_dist: {p}", file=sys.stderr)
    if not problems:
        print("check_dist: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
