"""Downloading and unpacking dataset archives safely.

Guarantees (each one is tested against a local HTTP server in ``tests/test_download.py``):

* **Resume.** Bytes go to ``FILE.part``; a retry (or a later call) asks the server for the rest
  with an HTTP ``Range`` request. A server that ignores ``Range`` (answers 200) restarts the file.
* **Verify before use.** The finished ``.part`` is checked against the manifest's MD5 and/or
  SHA-256 (and size) before it is renamed to ``FILE``. A mismatch deletes the ``.part`` and raises
  :class:`ChecksumError`, so a corrupt archive never looks downloaded.
  A network failure keeps the ``.part`` (its name says it is incomplete): that is what resume needs.
* **Safe extraction.** Every member of a tar or zip is checked before anything is written:
  absolute paths, ``..`` escapes, links pointing outside the target and device files are refused
  with :class:`UnsafeArchiveError`. Tar extraction also runs with the standard library's
  ``filter="data"`` as a second line of defence.
* **Atomic completion.** Archives are unpacked into a temporary sibling folder, then moved into
  place, and a marker file (``.FILE.complete``) is written last. Anything without its marker is
  treated as absent and redone; the temporary folder is removed on failure.
* **Local archives.** ``archive_dir`` takes ``DIR/FILE`` instead of downloading (compute nodes
  often have no internet; users download by hand). The file is verified exactly as a download
  would be; a bad file is reported with both digests and left where the user put it.
  ``verify=False`` (``--skip-checksum``, for fakes and repackaging mirrors) records ``unverified``
  in the marker, and :func:`marker_state` reports it so every run trained on the data says so.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import socket
import stat
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from tqdm import tqdm

CHUNK_BYTES = 1 << 20


class DownloadError(ConnectionError):
    """The transfer failed (network); the ``.part`` file is kept so a new call resumes it.

    A ConnectionError (an OSError), so the CLI answers it in one line instead of a traceback.
    """


class ChecksumError(ValueError):
    """The downloaded bytes do not match the manifest; the partial file has been removed."""


class UnsafeArchiveError(ValueError):
    """An archive member would be written outside the extraction folder."""


@dataclass(frozen=True)
class ArchiveSpec:
    """One file of a dataset manifest.

    ``dest`` is the folder (relative to ``ROOT/<dataset>``) that receives both the archive and
    its extracted contents; ``nested`` names archives inside it that must be unpacked as well
    (CIFAR10-DVS ships one zip per class inside its zip).
    """

    url: str
    filename: str
    md5: str | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    dest: str = "."
    extract: bool = True
    nested: tuple[str, ...] = field(default_factory=tuple)

    def marker_name(self) -> str:
        return f".{self.filename}.complete"


# What a completion marker says about the bytes it was made from.
VERIFIED = "verified"
UNVERIFIED = "unverified"


# --------------------------------------------------------------------------- checksums
def file_digests(path: Path) -> dict[str, str]:
    md5, sha = hashlib.md5(), hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK_BYTES), b""):
            md5.update(block)
            sha.update(block)
    return {"md5": md5.hexdigest(), "sha256": sha.hexdigest()}


def checksum_problem(path: Path, spec: ArchiveSpec) -> str | None:
    """Why ``path`` does not match ``spec`` (None when it does), with both digests when one is known."""
    size = path.stat().st_size
    size_bad = spec.size_bytes is not None and size != spec.size_bytes
    kinds = [k for k in ("md5", "sha256") if getattr(spec, k) is not None]
    digests = file_digests(path) if kinds else {}
    bad = [k for k in kinds if digests[k] != getattr(spec, k).lower()]
    if not size_bad and not bad:
        return None
    shown = bad or kinds
    found = ", ".join([f"{size} bytes"] * size_bad + [f"{k} {digests[k]}" for k in shown])
    expected = ", ".join([f"{spec.size_bytes} bytes"] * size_bad + [f"{k} {getattr(spec, k)}" for k in shown])
    return f"found {found}; expected {expected}"


# --------------------------------------------------------------------------- download
def _open_range(url: str, offset: int, timeout: float):
    headers = {"User-Agent": "qsnn-data/0.1"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)


def _refuse_link(path: Path) -> None:
    """Never write through a link: a planted ``FILE.part -> /elsewhere`` would append there."""
    if path.is_symlink():
        raise UnsafeArchiveError(
            f"{path} is a symbolic link; refusing to write through it. Remove the link and run the command again"
        )


def _open_no_follow(path: Path, append: bool):
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC) | getattr(os, "O_NOFOLLOW", 0)
    return os.fdopen(os.open(path, flags, 0o644), "ab" if append else "wb")


def _transfer_once(url: str, part: Path, timeout: float, progress: bool) -> None:
    """Fetch what is missing from ``part``; raise on a short or failed transfer."""
    _refuse_link(part)
    offset = part.lstat().st_size if part.exists() else 0
    try:
        response = _open_range(url, offset, timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset:  # nothing left to fetch: the .part is already whole
            return
        raise
    with response:
        if response.status != 206:  # the server ignored Range: start over
            offset = 0
        remaining = response.headers.get("Content-Length")
        expected = int(remaining) if remaining is not None else None
        received = 0
        total = offset + expected if expected is not None else None
        with (
            _open_no_follow(part, append=bool(offset)) as fh,
            tqdm(
                total=total,
                initial=offset,
                unit="B",
                unit_scale=True,
                desc=part.name,
                disable=not progress,
                leave=False,
            ) as bar,
        ):
            while True:
                block = response.read(CHUNK_BYTES)
                if not block:
                    break
                fh.write(block)
                received += len(block)
                bar.update(len(block))
    if expected is not None and received < expected:
        raise http.client.IncompleteRead(b"", expected - received)


def download_file(
    spec: ArchiveSpec, dest_dir: Path, *, max_attempts: int = 3, timeout: float = 60.0, progress: bool = True
) -> Path:
    """Download ``spec.url`` to ``dest_dir/spec.filename``, resuming and verifying.

    Returns the verified file. A file already present and verified is not fetched again.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    final = dest_dir / spec.filename
    _refuse_link(final)
    if final.exists():
        if checksum_problem(final, spec) is None:
            return final
        final.unlink()  # a stale or corrupt copy: never use it
    part = final.with_name(final.name + ".part")
    last_error: Exception | None = None
    for _attempt in range(max(1, max_attempts)):
        try:
            _transfer_once(spec.url, part, timeout, progress)
            last_error = None
            break
        except urllib.error.HTTPError as err:
            if 400 <= err.code < 500:  # the file is not there: retrying or resuming cannot help
                raise DownloadError(
                    f"{spec.url} answered HTTP {err.code} ({err.reason}): the file has moved or needs a login. "
                    f"Fetch {spec.filename} by hand and pass its folder with --archive-dir"
                ) from None
            last_error = err
        except (
            http.client.IncompleteRead,
            ConnectionError,
            socket.timeout,
            TimeoutError,
            urllib.error.URLError,
            http.client.HTTPException,
        ) as err:
            last_error = err
    if last_error is not None:
        have = part.stat().st_size if part.exists() else 0
        raise DownloadError(
            f"download of {spec.url} failed after {max_attempts} attempt(s) ({_reason(last_error)}); "
            f"{have} bytes kept in {part}: run the same command again to resume, or fetch "
            f"{spec.filename} by hand and pass its folder with --archive-dir"
        ) from None
    problem = checksum_problem(part, spec)
    if problem is not None:
        part.unlink(missing_ok=True)
        raise ChecksumError(
            f"{spec.filename} from {spec.url} is corrupt ({problem}); the partial file was removed. "
            "Run the command again, or fetch the file by hand and place it at " + str(final)
        )
    os.replace(part, final)
    return final


def _reason(err: Exception) -> str:
    reason = getattr(err, "reason", None) or err
    return f"{type(err).__name__}: {reason}"


def take_local_archive(spec: ArchiveSpec, archive_dir: Path, dest_dir: Path, *, verify: bool = True) -> Path:
    """Put ``archive_dir/spec.filename`` at ``dest_dir/spec.filename`` after checking it.

    The user's file is never modified or removed, even when it is bad. A hard link avoids copying
    gigabytes when both folders share a file system; otherwise the bytes are copied to a temp file
    and renamed, so a kill never leaves a partial archive under the final name.
    """
    source = Path(archive_dir) / spec.filename
    if not source.is_file():
        raise FileNotFoundError(f"{source} is missing: download it from {spec.url} into {archive_dir}")
    if verify:
        problem = checksum_problem(source, spec)
        if problem is not None:
            raise ChecksumError(
                f"{source} does not match the manifest ({problem}); the file was left in place. "
                f"Download it again from {spec.url}, or pass --skip-checksum for a repackaged mirror"
            )
    dest_dir.mkdir(parents=True, exist_ok=True)
    final = dest_dir / spec.filename
    if final.is_symlink() or final.exists():
        if final.resolve() == source.resolve():
            return final
        final.unlink()
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:  # another file system, or links not allowed: copy instead
        shutil.copyfile(source, tmp, follow_symlinks=True)
    os.replace(tmp, final)
    return final


# --------------------------------------------------------------------------- extraction
def _escapes(target: Path, name: str) -> bool:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or (len(name) > 1 and name[1] == ":"):
        return True
    resolved = (target / pure).resolve()
    return not resolved.is_relative_to(target.resolve())


def _check_tar_members(tar: tarfile.TarFile, target: Path) -> None:
    """No dataset archive needs hard links, devices, FIFOs or chains of links; refuse them all,
    and any symbolic link that leaves the target."""
    members = tar.getmembers()
    links = {str(PurePosixPath(m.name)) for m in members if m.issym()}
    for member in members:
        if _escapes(target, member.name):
            raise UnsafeArchiveError(f"refusing archive member {member.name!r}: it escapes {target}")
        if member.islnk():
            raise UnsafeArchiveError(f"refusing hard link {member.name!r} -> {member.linkname!r} in archive")
        if member.isdev() or member.isfifo():
            raise UnsafeArchiveError(f"refusing device or FIFO {member.name!r} in archive")
        if member.issym():
            _check_symlink(member.name, member.linkname, target, links)


def _check_symlink(name: str, link: str, target: Path, links: set[str]) -> None:
    pointed = PurePosixPath(name).parent / link
    if PurePosixPath(link).is_absolute() or _escapes(target, str(pointed)):
        raise UnsafeArchiveError(f"refusing link {name!r} -> {link!r}: it points outside {target}")
    if str(PurePosixPath(os.path.normpath(str(pointed)))) in links:
        raise UnsafeArchiveError(f"refusing link {name!r} -> {link!r}: it points at another link (a link chain)")


def _check_zip_members(zf: zipfile.ZipFile, target: Path) -> None:
    infos = zf.infolist()
    links = {str(PurePosixPath(i.filename)) for i in infos if stat.S_ISLNK(i.external_attr >> 16)}
    for info in infos:
        if _escapes(target, info.filename):
            raise UnsafeArchiveError(f"refusing archive member {info.filename!r}: it escapes {target}")
        mode = info.external_attr >> 16
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
            raise UnsafeArchiveError(f"refusing device or FIFO {info.filename!r} in archive")
        if stat.S_ISLNK(mode):
            _check_symlink(info.filename, zf.read(info).decode("utf-8", "replace"), target, links)


def safe_extract(archive: Path, target: Path) -> None:
    """Extract a tar(.gz/.bz2/.xz) or zip archive into ``target``, refusing unsafe members."""
    target.mkdir(parents=True, exist_ok=True)
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            _check_tar_members(tar, target)
            try:
                tar.extractall(target, filter="data")
            except tarfile.FilterError as err:
                raise UnsafeArchiveError(f"refusing {archive.name}: {err}") from err
    elif zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            _check_zip_members(zf, target)
            zf.extractall(target)
    else:
        raise ValueError(f"{archive} is neither a tar nor a zip archive; delete it and download again")


def is_complete(spec: ArchiveSpec, dataset_dir: Path) -> bool:
    return (dataset_dir / spec.dest / spec.marker_name()).exists()


def marker_state(spec: ArchiveSpec, dataset_dir: Path) -> str | None:
    """``verified`` or ``unverified`` for a completed file, None when it is not complete."""
    marker = dataset_dir / spec.dest / spec.marker_name()
    if not marker.exists():
        return None
    return UNVERIFIED if UNVERIFIED in marker.read_text().split() else VERIFIED


def extract_atomically(archive: Path, spec: ArchiveSpec, dataset_dir: Path, state: str = VERIFIED) -> None:
    """Unpack into a temp folder, move the top-level entries into place, write the marker last."""
    dest = dataset_dir / spec.dest
    dest.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".extract-{spec.filename}-", dir=dataset_dir))
    try:
        safe_extract(archive, tmp)
        for inner in spec.nested:
            matches = sorted(tmp.rglob(inner))
            if not matches:
                raise ValueError(
                    f"{archive.name} lacks the expected inner archive {inner!r}; "
                    "the download may be a different version than the manifest's"
                )
            for inner_archive in matches:
                safe_extract(inner_archive, inner_archive.parent)
                inner_archive.unlink()
        for entry in sorted(tmp.iterdir()):
            placed = dest / entry.name
            if placed.is_dir() and not placed.is_symlink():
                shutil.rmtree(placed)  # left over from an interrupted run (no marker)
            elif placed.exists() or placed.is_symlink():
                placed.unlink()
            os.replace(entry, placed)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write_marker(dest / spec.marker_name(), f"{spec.filename}\n{state}\n")


def write_marker(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def fetch_and_extract(
    spec: ArchiveSpec,
    dataset_dir: Path,
    *,
    download: bool,
    progress: bool = True,
    max_attempts: int = 3,
    timeout: float = 60.0,
    archive_dir: Path | None = None,
    verify: bool = True,
) -> None:
    """Make ``spec`` present and extracted under ``dataset_dir`` (idempotent).

    With ``download=False`` only a file already placed at ``dataset_dir/dest/filename`` is used;
    the caller turns the resulting FileNotFoundError into a helpful message. ``archive_dir``
    takes the file from a local folder instead; ``verify=False`` skips the checksum and marks the
    result ``unverified``.
    """
    if is_complete(spec, dataset_dir):
        return
    dest = dataset_dir / spec.dest
    archive = dest / spec.filename
    state = VERIFIED if verify else UNVERIFIED
    if archive_dir is not None:
        archive = take_local_archive(spec, Path(archive_dir), dest, verify=verify)
    elif download:
        archive = download_file(spec, dest, max_attempts=max_attempts, timeout=timeout, progress=progress)
    elif not archive.exists():
        raise FileNotFoundError(str(archive))
    elif verify:
        problem = checksum_problem(archive, spec)
        if problem is not None:
            raise ChecksumError(
                f"{archive} does not match the manifest ({problem}); delete it and fetch {spec.url} again"
            )
    if spec.extract:
        extract_atomically(archive, spec, dataset_dir, state)
    else:
        write_marker(dest / spec.marker_name(), f"{spec.filename}\n{state}\n")
