"""Installing chosen members of a verified tar archive as a folder, atomically (temp + rename)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path

from .checksums import write_manifest
from .download import fsync_dir
from .errors import DatasetDownloadError


def _copy_member(tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path) -> str:
    src = tar.extractfile(member)
    if src is None:
        raise DatasetDownloadError(f"archive member {member.name} cannot be read")
    h = hashlib.sha256()
    with src, open(dest, "wb") as out:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            h.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return h.hexdigest()


def _extract(archive: Path, members: dict[str, str], into: Path) -> dict[str, str]:
    digests: dict[str, str] = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                name = members.get(member.name.removeprefix("./"))
                if name is None:
                    continue  # readme.html, label-name text files: not needed
                # Only regular files are written, each to a name we chose: no links, devices or
                # "../" paths from the archive ever reach the file system.
                if not member.isfile():
                    raise DatasetDownloadError(
                        f"archive member {member.name} is not a regular file"
                    )
                digests[name] = _copy_member(tar, member, into / name)
    except DatasetDownloadError:
        raise
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise DatasetDownloadError(f"cannot extract {archive.name}: {exc}") from exc
    missing = sorted(set(members.values()) - set(digests))
    if missing:
        raise DatasetDownloadError(f"{archive.name} lacks {', '.join(missing)}")
    return digests


def install_members(archive: Path, members: dict[str, str], dest: Path, source: str) -> None:
    """Extract `members` (archive path -> file name) of `archive` into the new folder `dest`.

    The files are written to a temp folder beside `dest`, with a manifest of their sha256, and the
    folder is renamed into place: `dest` never exists half-filled. When another process installed
    `dest` first, its copy is kept and ours discarded.
    """
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".extract", dir=dest.parent))
    except OSError as exc:
        raise DatasetDownloadError(f"cannot create a folder beside {dest}: {exc}") from exc
    try:
        digests = _extract(archive, members, tmp)
        try:
            write_manifest(tmp, digests, source)
            os.chmod(tmp, 0o755)  # mkdtemp made it private; cached data is not secret
        except OSError as exc:
            raise DatasetDownloadError(f"cannot write into {tmp}: {exc}") from exc
        fsync_dir(tmp)
        try:
            os.rename(tmp, dest)  # replaces only a missing or empty folder, atomically
        except OSError as exc:
            if all((dest / name).is_file() for name in members.values()):
                return  # a concurrent process won the race; its files are as good as ours
            raise DatasetDownloadError(
                f"cannot install {dest}: the folder exists but is incomplete ({exc}); remove it"
            ) from exc
        fsync_dir(dest.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
