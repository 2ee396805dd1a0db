"""Atomic streamed downloads: temp file in the target folder, verified, fsynced, then renamed."""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Callable

from rustgrad._files import fsync_dir

from .errors import DatasetCorruptError, DatasetDownloadError
from .paths import ENV_MIRROR, ENV_TIMEOUT

DEFAULT_TIMEOUT = 10.0  # seconds to connect and between two received chunks
STALE_SECONDS = 24 * 3600  # temp files this old belong to a killed process, never a live one
USER_AGENT = "rustgrad-datasets/0.1 (+https://pypi.org/project/rustgrad/)"

Check = Callable[[Path, str], None]  # (temp file, url) -> raises DatasetCorruptError when bad


def timeout() -> float:
    raw = os.environ.get(ENV_TIMEOUT, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ValueError(f"{ENV_TIMEOUT}={raw!r}: expected a positive number of seconds")
    return value


def mirror_urls(dataset: str, defaults: Sequence[str], filename: str) -> list[str]:
    """URLs to try for `filename`: $RUSTGRAD_DATASET_MIRROR's bases if set, else the defaults.

    The variable holds base URLs separated by commas or spaces; `{dataset}` in a base is replaced
    by the dataset name (mnist, fashion-mnist, cifar-10, cifar-100), since MNIST and Fashion-MNIST
    use the same file names.
    """
    env = os.environ.get(ENV_MIRROR, "").replace(",", " ").split()
    bases = env or list(defaults)
    return [b.replace("{dataset}", dataset).rstrip("/") + "/" + filename for b in bases]


class _Progress:
    """A progress bar on stderr; one line per event when stderr is not a terminal."""

    def __init__(self, url: str, total: int) -> None:
        self.url, self.total, self.last = url, total, 0.0
        self.tty = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        size = f" ({total / 1e6:.1f} MB)" if total else ""
        sys.stderr.write(f"Downloading {url}{size}" + ("" if self.tty else "\n"))
        sys.stderr.flush()

    def update(self, got: int) -> None:
        now = time.monotonic()
        if not self.tty or now - self.last < 0.1:
            return
        self.last = now
        if self.total:
            filled = int(30 * got / self.total)
            bar = f"[{'#' * filled}{'.' * (30 - filled)}] {100 * got // self.total:3d}%"
        else:
            bar = ""
        sys.stderr.write(f"\r{self.url.rsplit('/', 1)[-1]} {bar} {got / 1e6:.1f} MB ")
        sys.stderr.flush()

    def finish(self, got: int, ok: bool) -> None:
        end = "done" if ok else "FAILED"
        sys.stderr.write(f"\r{self.url.rsplit('/', 1)[-1]}: {got / 1e6:.1f} MB {end}\n")
        sys.stderr.flush()


def _stream(url: str, out_path: Path) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    seconds = timeout()
    try:
        with urllib.request.urlopen(request, timeout=seconds) as resp, open(out_path, "wb") as out:
            length = resp.headers.get("Content-Length", "")
            total = int(length) if length.strip().isdigit() else 0
            bar, got = _Progress(url, total), 0
            try:
                for chunk in iter(lambda: resp.read(1 << 16), b""):
                    out.write(chunk)
                    got += len(chunk)
                    bar.update(got)
            finally:
                # http.client returns b"" on a connection closed early instead of raising.
                bar.finish(got, ok=not total or got == total)
            if total and got != total:
                raise DatasetDownloadError(f"truncated transfer: received {got} of {total} bytes")
            out.flush()
            os.fsync(out.fileno())
    except DatasetDownloadError:
        raise
    except urllib.error.HTTPError as exc:
        raise DatasetDownloadError(f"HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise DatasetDownloadError(f"cannot connect: {exc.reason}") from exc
    except (socket.timeout, TimeoutError) as exc:
        raise DatasetDownloadError(f"timed out after {seconds:g} s ({ENV_TIMEOUT})") from exc
    except (http.client.HTTPException, OSError) as exc:
        raise DatasetDownloadError(f"transfer failed: {type(exc).__name__}: {exc}") from exc


def remove_stale(folder: Path) -> None:
    """Delete temp files and folders left by processes killed mid-download or mid-extraction."""
    cutoff = time.time() - STALE_SECONDS
    for pattern in (".*.part", ".*.extract"):
        for p in folder.glob(pattern):
            with contextlib.suppress(OSError):
                if p.lstat().st_mtime >= cutoff:
                    continue  # may belong to a download running right now
                if p.is_dir():
                    shutil.rmtree(p)
                else:
                    p.unlink()


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@contextlib.contextmanager
def fetch_verified(urls: Sequence[str], folder: Path, name: str, check: Check) -> Iterator[Path]:
    """Yield a temp file in `folder` holding the first download that passes `check`.

    The temp file is removed on exit unless the caller renamed it; every URL is tried in order
    and all failures are reported together in one DatasetDownloadError.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetDownloadError(f"cannot create the download folder {folder}: {exc}") from exc
    remove_stale(folder)
    errors: list[str] = []
    for url in urls:
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
        except OSError as exc:
            raise DatasetDownloadError(f"cannot write into {folder}: {exc}") from exc
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            _stream(url, tmp)
            check(tmp, url)
        except (DatasetDownloadError, DatasetCorruptError) as exc:
            _unlink(tmp)
            errors.append(f"{url}: {exc}")
            continue
        except BaseException:  # Ctrl-C or a bug: still leave nothing half-written behind
            _unlink(tmp)
            raise
        try:
            yield tmp
        finally:
            _unlink(tmp)
        return
    raise DatasetDownloadError("\n".join(errors) if errors else "no mirror URL to try")


def download_to(urls: Sequence[str], dest: Path, check: Check) -> Path:
    """Download into `dest` atomically: it either keeps its old state or holds verified bytes.

    Concurrent callers each write their own temp file; the last rename wins, and both files
    passed `check`, so every reader sees a complete, verified file.
    """
    with fetch_verified(urls, dest.parent, dest.name, check) as tmp:
        try:
            os.chmod(tmp, 0o644)  # mkstemp made it private; cached data is not secret
            os.replace(tmp, dest)
        except OSError as exc:
            raise DatasetDownloadError(f"cannot move the download into {dest}: {exc}") from exc
        fsync_dir(dest.parent)
    return dest
