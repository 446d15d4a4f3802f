"""Downloader: resume, checksum-before-use, safe and atomic extraction, against a local server."""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qsnn.data.download import (
    ArchiveSpec,
    ChecksumError,
    DownloadError,
    UnsafeArchiveError,
    download_file,
    fetch_and_extract,
    is_complete,
    safe_extract,
)


# --------------------------------------------------------------------------- archives
def make_tar(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buf.getvalue()


def make_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


# Payload big enough to span several reads, random-ish so gzip cannot shrink it to nothing.
PAYLOAD = hashlib.sha256(b"seed").digest() * 4096
GOOD = make_tar({"pkg/a.bin": PAYLOAD, "pkg/sub/b.txt": b"hello"})
INNER = make_zip({"cls/x.npy": b"123", "cls/y.npy": b"456"})
NESTED = make_zip({"outer/inner.zip": INNER, "outer/readme.txt": b"r"})


# --------------------------------------------------------------------------- server
class Server:
    """Serves ``files`` with Range support; ``truncate_once`` paths close early on the first GET."""

    def __init__(self, files: dict[str, bytes], truncate_once: set[str] = frozenset()):
        self.files = files
        self.truncate_pending = set(truncate_once)
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                rng = self.headers.get("Range")
                server.requests.append((self.path, rng))
                data = server.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                start = int(rng.split("=")[1].split("-")[0]) if rng else 0
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.end_headers()
                    return
                body = data[start:]
                self.send_response(206 if rng else 200)
                if rng:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if self.path in server.truncate_pending:
                    server.truncate_pending.discard(self.path)
                    body = body[: len(body) // 3]  # announce everything, deliver a third, hang up
                    self.close_connection = True
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self):
        self.thread.start()
        # Stops itself even if a test hangs: no server outlives a minute.
        self.watchdog = threading.Timer(60, self.httpd.shutdown)
        self.watchdog.daemon = True
        self.watchdog.start()
        return self

    def __exit__(self, *exc):
        self.watchdog.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server():
    files = {
        "/good.tar.gz": GOOD,
        "/trunc.tar.gz": GOOD,
        "/nested.zip": NESTED,
        "/evil.tar.gz": make_tar({"ok.txt": b"ok", "../evil.txt": b"pwned"}),
    }
    with Server(files, truncate_once={"/trunc.tar.gz"}) as srv:
        yield srv


# --------------------------------------------------------------------------- tests
def test_good_archive_downloads_verifies_and_extracts(server, tmp_path):
    spec = ArchiveSpec(
        url=server.url("/good.tar.gz"),
        filename="good.tar.gz",
        md5=md5(GOOD),
        sha256=hashlib.sha256(GOOD).hexdigest(),
        size_bytes=len(GOOD),
        dest="Tonic",
    )
    fetch_and_extract(spec, tmp_path / "ds", download=True, progress=False)
    assert (tmp_path / "ds/Tonic/pkg/a.bin").read_bytes() == PAYLOAD
    assert (tmp_path / "ds/Tonic/good.tar.gz").read_bytes() == GOOD  # kept: tonic looks for it
    assert is_complete(spec, tmp_path / "ds")
    assert not list((tmp_path / "ds").glob(".extract-*")) and not list((tmp_path / "ds").rglob("*.part"))
    n_requests = len(server.requests)
    fetch_and_extract(spec, tmp_path / "ds", download=True, progress=False)  # idempotent
    assert len(server.requests) == n_requests


def test_corrupt_archive_fails_on_checksum_and_leaves_nothing(server, tmp_path):
    spec = ArchiveSpec(url=server.url("/good.tar.gz"), filename="c.tar.gz", md5="0" * 32)
    with pytest.raises(ChecksumError, match="md5"):
        fetch_and_extract(spec, tmp_path / "ds", download=True, progress=False)
    assert [p for p in (tmp_path / "ds").rglob("*") if p.is_file()] == []
    assert not is_complete(spec, tmp_path / "ds")


def test_wrong_size_is_a_checksum_error(server, tmp_path):
    spec = ArchiveSpec(url=server.url("/good.tar.gz"), filename="s.tar.gz", size_bytes=len(GOOD) + 1)
    with pytest.raises(ChecksumError, match="size"):
        download_file(spec, tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_truncated_download_resumes_with_range(server, tmp_path):
    spec = ArchiveSpec(url=server.url("/trunc.tar.gz"), filename="t.tar.gz", md5=md5(GOOD))
    with pytest.raises(DownloadError, match="resume"):
        download_file(spec, tmp_path, max_attempts=1, progress=False, timeout=5)
    part = tmp_path / "t.tar.gz.part"
    kept = part.stat().st_size
    assert 0 < kept < len(GOOD) and not (tmp_path / "t.tar.gz").exists()
    path = download_file(spec, tmp_path, max_attempts=1, progress=False, timeout=5)
    assert path.read_bytes() == GOOD and not part.exists()
    assert server.requests[-1] == ("/trunc.tar.gz", f"bytes={kept}-")


def test_truncated_download_retries_within_one_call(server, tmp_path):
    spec = ArchiveSpec(url=server.url("/trunc.tar.gz"), filename="t.tar.gz", md5=md5(GOOD))
    assert download_file(spec, tmp_path, max_attempts=3, progress=False, timeout=5).read_bytes() == GOOD
    assert [r for _, r in server.requests][0] is None and server.requests[1][1] is not None


def test_path_traversal_archive_is_refused_atomically(server, tmp_path):
    spec = ArchiveSpec(url=server.url("/evil.tar.gz"), filename="evil.tar.gz")
    with pytest.raises(UnsafeArchiveError, match="evil.txt"):
        fetch_and_extract(spec, tmp_path / "ds", download=True, progress=False)
    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path / "ds/ok.txt").exists()  # nothing half-extracted is left in place
    assert not list((tmp_path / "ds").glob(".extract-*"))
    assert not is_complete(spec, tmp_path / "ds")


@pytest.mark.parametrize(
    "archive",
    [
        make_tar({"/abs/file.txt": b"x"}),
        make_tar({"a.txt": b"x"}, links={"link": "../../outside"}),
        make_tar({"a.txt": b"x"}, links={"link": "/etc/passwd"}),
        make_zip({"../escape.txt": b"x"}),
        make_zip({"/abs.txt": b"x"}),
    ],
    ids=["tar-absolute", "tar-symlink-out", "tar-symlink-absolute", "zip-dotdot", "zip-absolute"],
)
def test_unsafe_members_are_refused(tmp_path, archive):
    path = tmp_path / "a.bin"
    path.write_bytes(archive)
    target = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError):
        safe_extract(path, target)
    assert not any(target.iterdir())


def test_symlink_inside_target_is_allowed(tmp_path):
    path = tmp_path / "a.tar.gz"
    path.write_bytes(make_tar({"d/a.txt": b"x"}, links={"d/link": "a.txt"}))
    safe_extract(path, tmp_path / "out")
    assert (tmp_path / "out/d/link").read_bytes() == b"x"


def test_nested_archives_are_unpacked(server, tmp_path):
    spec = ArchiveSpec(
        url=server.url("/nested.zip"), filename="nested.zip", md5=md5(NESTED), dest="Tonic", nested=("inner.zip",)
    )
    fetch_and_extract(spec, tmp_path / "ds", download=True, progress=False)
    assert (tmp_path / "ds/Tonic/outer/cls/y.npy").read_bytes() == b"456"
    assert not (tmp_path / "ds/Tonic/outer/inner.zip").exists()


def test_interrupted_extraction_is_redone(server, tmp_path):
    spec = ArchiveSpec(url=server.url("/good.tar.gz"), filename="good.tar.gz", md5=md5(GOOD))
    ds = tmp_path / "ds"
    fetch_and_extract(spec, ds, download=True, progress=False)
    (ds / spec.marker_name()).unlink()  # as if killed before the marker was written
    (ds / "pkg/a.bin").write_bytes(b"half")
    n_requests = len(server.requests)
    fetch_and_extract(spec, ds, download=False, progress=False)  # archive on disk: no network
    assert (ds / "pkg/a.bin").read_bytes() == PAYLOAD and is_complete(spec, ds)
    assert len(server.requests) == n_requests


def test_missing_archive_without_download_raises(tmp_path):
    spec = ArchiveSpec(url="http://127.0.0.1:9/none.tar.gz", filename="none.tar.gz")
    with pytest.raises(FileNotFoundError):
        fetch_and_extract(spec, tmp_path, download=False, progress=False)


# --------------------------------------------------------------------------- issue 10: links, odd members, Range
def _tar_with(kind: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("pkg/a.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"ok"))
        odd = tarfile.TarInfo("pkg/odd")
        if kind == "hardlink":
            odd.type, odd.linkname = tarfile.LNKTYPE, "pkg/a.txt"
        elif kind == "device":
            odd.type = tarfile.CHRTYPE
        elif kind == "fifo":
            odd.type = tarfile.FIFOTYPE
        elif kind == "chain":
            first = tarfile.TarInfo("pkg/first")
            first.type, first.linkname = tarfile.SYMTYPE, "a.txt"
            tar.addfile(first)
            odd.type, odd.linkname = tarfile.SYMTYPE, "first"
        tar.addfile(odd)
    return buf.getvalue()


@pytest.mark.parametrize(
    "kind, words", [("hardlink", "hard link"), ("device", "device"), ("fifo", "FIFO"), ("chain", "link chain")]
)
def test_hardlinks_devices_and_link_chains_are_refused(tmp_path, kind, words):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(_tar_with(kind))
    with pytest.raises(UnsafeArchiveError, match=words):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out" / "pkg").exists()


def test_symlinked_part_file_is_never_written_through(server, tmp_path):
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"precious")
    dest = tmp_path / "ds"
    dest.mkdir()
    (dest / "good.tar.gz.part").symlink_to(outside)
    spec = ArchiveSpec(url=server.url("/good.tar.gz"), filename="good.tar.gz", md5=md5(GOOD))
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        download_file(spec, dest, progress=False)
    assert outside.read_bytes() == b"precious"


def test_server_that_ignores_range_restarts_the_file(tmp_path):
    srv = Server({"/good.tar.gz": GOOD})
    requests = []

    from http.server import BaseHTTPRequestHandler

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            requests.append(self.headers.get("Range"))
            self.send_response(200)  # always the whole file, whatever Range asked
            self.send_header("Content-Length", str(len(GOOD)))
            self.end_headers()
            self.wfile.write(GOOD)

    srv.httpd.RequestHandlerClass = Handler
    with srv:
        dest = tmp_path / "ds"
        dest.mkdir()
        third = len(GOOD) // 3
        (dest / "good.tar.gz.part").write_bytes(GOOD[:third])  # a partial file from an earlier attempt
        spec = ArchiveSpec(url=srv.url("/good.tar.gz"), filename="good.tar.gz", md5=md5(GOOD))
        path = download_file(spec, dest, progress=False)
    assert path.read_bytes() == GOOD and requests == [f"bytes={third}-"]
