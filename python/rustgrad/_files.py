"""Files written whole or not at all. Every file rustgrad writes (weights, optimizer states,
checkpoint metadata, dataset caches) goes to a temporary beside its target, is fsynced and renamed
into place, so a crash at any moment leaves the old file or the new one. A writer killed before its
rename (SIGKILL, power loss) leaves its temporary behind; the next write into that folder removes
the temporaries whose writer is gone. Only ours: their names carry a marker and the writer's pid."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import IO, Any, Callable

from rustgrad.distribute import _state as _distribute_state

PREFIX = ".rustgrad-tmp-"
_OURS = re.compile(r"^\.rustgrad-tmp-(\d+)-.*\.tmp$")


def _boot_time() -> float | None:
    try:
        with open("/proc/stat") as f:
            for line in f:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


def _started(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch; 0 when unknown), or None when it is
    not running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # someone else's process: running
    boot = _boot_time()
    try:
        with open(f"/proc/{pid}/stat") as f:
            # Field 22, after the parenthesised name (which may hold spaces): start in clock ticks.
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 0.0  # running, start unknown (no /proc): keep its files
    if boot is None:
        return 0.0
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def sweep(folder: Path) -> int:
    """Remove the temporaries in `folder` left by writers that are no longer running (or whose pid
    now belongs to a process started after the file was last written); returns how many."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        m = _OURS.match(entry.name)
        if m is None:
            continue
        pid = int(m.group(1))
        if pid == os.getpid():
            continue  # a write of this process may be in progress on another thread
        started = _started(pid)
        with contextlib.suppress(OSError):
            if started is None or entry.stat().st_mtime < started:
                os.unlink(entry.path)
                removed += 1
    return removed


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable; some file systems cannot, which is not an error."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Any, write: Callable[[IO[Any]], Any], mode: str = "wb") -> None:
    """`write(file)` into a temporary beside `path`, fsync it, rename it onto `path`. A no-op on
    every rank but the chief of a multi-rank MPIStrategy (they hold the same weights)."""
    if not _distribute_state.writes_files():
        return
    path = Path(os.fspath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep(path.parent)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f"{PREFIX}{os.getpid()}-", suffix=f".{path.name}.tmp"
    )
    try:
        with os.fdopen(fd, mode) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
