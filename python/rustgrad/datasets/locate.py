"""Finding a dataset's files along the search path, downloading into the cache as a last resort."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import DatasetDownloadError, DatasetNotFoundError
from .paths import ENV_DATASETS, ENV_OFFLINE, PathLike, Place, cache_dir, offline, places


@dataclass(frozen=True)
class Layout:
    """One on-disk form of a dataset: a folder name and the files it must hold."""

    folder: str
    files: tuple[str, ...]
    # IDX files are found as `name` or `name.gz` (contents are sniffed, the suffix only helps find),
    # or with the dotted names some copies use (train-images.idx3-ubyte).
    gz_ok: bool = False

    def _candidates(self, folder: Path, name: str) -> list[Path]:
        if not self.gz_ok:
            return [folder / name]
        dotted = name.replace("-idx", ".idx")
        return [folder / n for n in (name, name + ".gz", dotted, dotted + ".gz")]

    def find(self, folder: Path) -> tuple[dict[str, Path], list[str]]:
        found: dict[str, Path] = {}
        missing: list[str] = []
        for name in self.files:
            candidates = self._candidates(folder, name)
            hit = next((p for p in candidates if p.is_file()), None)
            if hit is None:
                missing.append(name + ("[.gz]" if self.gz_ok else ""))
            else:
                found[name] = hit
        return found, missing


@dataclass(frozen=True)
class Located:
    """A complete set of files: which layout matched, and the path of each file."""

    layout: Layout
    folder: Path
    files: dict[str, Path] = field(default_factory=dict)


def _folders(place: Place, layout: Layout) -> list[Path]:
    sub = place.root / layout.folder
    return [place.root, sub] if place.direct else [sub]


def _search(layouts: Sequence[Layout], roots: Sequence[Place], looked: list[str]) -> Located | None:
    for place in roots:
        for layout in layouts:
            for folder in _folders(place, layout):
                if not folder.is_dir():
                    looked.append(f"{folder} ({place.label}): does not exist")
                    continue
                found, missing = layout.find(folder)
                if not missing:
                    return Located(layout, folder, found)
                looked.append(f"{folder} ({place.label}): missing {', '.join(missing)}")
    return None


def _download_status(download: bool | None) -> str | None:
    if offline():
        return f"disabled by {ENV_OFFLINE}={os.environ.get(ENV_OFFLINE)}"
    if download is False:
        return "disabled by download=False"
    return None


def locate(
    title: str,
    layouts: Sequence[Layout],
    path: PathLike | None,
    download: bool | None,
    fetch: Callable[[Path], None] | None,
    how_to: str,
) -> Located:
    """Return the first complete copy along the search path, else download into the cache.

    `fetch(cache_root)` must leave a complete copy under the cache or raise DatasetDownloadError.
    Raises DatasetNotFoundError listing every folder looked at, and why each did not qualify.
    """
    looked: list[str] = []
    roots = places(path)
    found = _search(layouts, roots, looked)
    if found is not None:
        return found
    status = _download_status(download) if fetch is not None else "not available"
    if status is None and fetch is not None:
        cache = cache_dir()
        try:
            fetch(cache)
        except DatasetDownloadError as exc:
            status = "failed:\n    " + str(exc).replace("\n", "\n    ")
            raise DatasetNotFoundError(_message(title, looked, status, how_to)) from exc
        again = _search(layouts, [Place(cache, "user cache")], [])
        if again is not None:
            return again
        status = f"finished, but {cache} still lacks files (was it removed meanwhile?)"
    raise DatasetNotFoundError(_message(title, looked, status or "", how_to))


def _message(title: str, looked: list[str], status: str, how_to: str) -> str:
    lines = [f"{title} was not found. Looked in:"]
    # dict.fromkeys: a missing root is reached once per layout but is worth one line.
    lines += [f"  - {entry}" for entry in dict.fromkeys(looked)]
    lines.append(f"Download: {status}")
    lines.append(
        f"To provide it: {how_to}; then pass path=<that folder>, or set "
        f"{ENV_DATASETS}=<folder holding it> (several may be joined with '{os.pathsep}')"
        + (f"; or unset {ENV_OFFLINE} to let it download." if ENV_OFFLINE in status else ".")
    )
    return "\n".join(lines)
