"""Where datasets are looked for: path argument, $RUSTGRAD_DATASETS, user cache, system folders."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Union

PathLike = Union[str, "os.PathLike[str]"]

ENV_DATASETS = "RUSTGRAD_DATASETS"
ENV_CACHE = "RUSTGRAD_CACHE_DIR"
ENV_OFFLINE = "RUSTGRAD_OFFLINE"
ENV_MIRROR = "RUSTGRAD_DATASET_MIRROR"
ENV_TIMEOUT = "RUSTGRAD_DOWNLOAD_TIMEOUT"

# Debian's dataset-* packages (e.g. dataset-fashion-mnist) install to /usr/share/datasets/<name>/;
# /usr/local/share/datasets follows the same convention for copies installed by hand.
# A module-level list so tests can replace it.
SYSTEM_DIRS: list[str] = ["/usr/local/share/datasets", "/usr/share/datasets"]


@dataclass(frozen=True)
class Place:
    """One search root and how to describe it in error messages."""

    root: Path
    label: str
    # An explicit path may be the data folder itself; the other roots only hold data folders,
    # otherwise e.g. $RUSTGRAD_DATASETS=/data/mnist would hand MNIST to the Fashion-MNIST loader.
    direct: bool = False


def cache_dir() -> Path:
    """The user cache: $RUSTGRAD_CACHE_DIR, else ~/.rustgrad/datasets."""
    env = os.environ.get(ENV_CACHE, "").strip()
    if env:
        return Path(env).expanduser()
    try:
        return Path.home() / ".rustgrad" / "datasets"
    except (RuntimeError, KeyError):
        # No resolvable home (some containers): a per-machine temp folder still works.
        return Path(tempfile.gettempdir()) / "rustgrad-datasets"


def offline() -> bool:
    """True when $RUSTGRAD_OFFLINE is set to anything but an explicit 'off' value."""
    value = os.environ.get(ENV_OFFLINE, "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


def places(path: PathLike | None = None) -> list[Place]:
    """The search roots in order: path argument, $RUSTGRAD_DATASETS, user cache, system folders.

    Args:
        path: the folder given by the caller, or None.

    Returns:
        list[Place]: the roots, each with what it is (quoted when a dataset is not found).
    """
    out: list[Place] = []
    if path is not None:
        out.append(Place(Path(os.fspath(path)).expanduser(), "path argument", direct=True))
    for root in os.environ.get(ENV_DATASETS, "").split(os.pathsep):
        if root.strip():
            out.append(Place(Path(root.strip()).expanduser(), f"${ENV_DATASETS}"))
    out.append(Place(cache_dir(), f"user cache, ${ENV_CACHE} or ~/.rustgrad/datasets"))
    for root in SYSTEM_DIRS:
        out.append(Place(Path(root), "system folder"))
    return out
