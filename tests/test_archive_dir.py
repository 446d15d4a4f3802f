"""`qsnn data prepare --archive-dir DIR [--skip-checksum]`: local archives, verified exactly as a
download; failures are one line naming the file and the fix; `unverified` reaches metrics.json."""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile

import pytest

from qsnn.cli import main
from qsnn.data import registry
from qsnn.data.download import ArchiveSpec, ChecksumError, fetch_and_extract, marker_state


def _tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


ARCHIVE = _tar({"pkg/a.txt": b"hello"})


def _spec(md5: str | None = None) -> ArchiveSpec:
    return ArchiveSpec(
        url="https://example.invalid/a.tar.gz",
        filename="a.tar.gz",
        md5=md5 or hashlib.md5(ARCHIVE).hexdigest(),
        dest="D",
    )


def test_archive_dir_verifies_extracts_and_keeps_the_users_file(tmp_path):
    src = tmp_path / "downloads"
    src.mkdir()
    (src / "a.tar.gz").write_bytes(ARCHIVE)
    fetch_and_extract(_spec(), tmp_path / "ds", download=False, archive_dir=src)
    assert (tmp_path / "ds/D/pkg/a.txt").read_bytes() == b"hello"
    assert (tmp_path / "ds/D/a.tar.gz").read_bytes() == ARCHIVE  # tonic checks the archive is present
    assert (src / "a.tar.gz").read_bytes() == ARCHIVE
    assert marker_state(_spec(), tmp_path / "ds") == "verified"


def test_archive_dir_wrong_checksum_names_both_digests_and_leaves_the_file(tmp_path):
    src = tmp_path / "downloads"
    src.mkdir()
    (src / "a.tar.gz").write_bytes(ARCHIVE)
    with pytest.raises(ChecksumError) as err:
        fetch_and_extract(_spec(md5="0" * 32), tmp_path / "ds", download=False, archive_dir=src)
    message = str(err.value)
    assert "0" * 32 in message and hashlib.md5(ARCHIVE).hexdigest() in message and "\n" not in message
    assert (src / "a.tar.gz").read_bytes() == ARCHIVE
    assert marker_state(_spec(), tmp_path / "ds") is None


def test_skip_checksum_marks_the_data_unverified(tmp_path):
    src = tmp_path / "downloads"
    src.mkdir()
    (src / "a.tar.gz").write_bytes(ARCHIVE)
    fetch_and_extract(_spec(md5="0" * 32), tmp_path / "ds", download=False, archive_dir=src, verify=False)
    assert marker_state(_spec(), tmp_path / "ds") == "unverified"


def _cifar10_archive(tmp_path):
    """A minimal cifar-10-python.tar.gz: real pickled batches, one image each."""
    import numpy as np

    members = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {
            "data": np.zeros((1, 3072), dtype=np.uint8),
            "labels": [3],
            "batch_label": name,
            "filenames": ["x.png"],
        }
        members[f"cifar-10-batches-py/{name}"] = pickle.dumps(batch)
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(_tar(members))
    return tmp_path


def test_cli_missing_archive_is_one_line_naming_file_and_url(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code = main(
        ["data", "prepare", "cifar10", "--root", str(tmp_path / "data"), "--archive-dir", str(tmp_path / "empty")]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert "cifar-10-python.tar.gz" in err and "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in err


def test_cli_wrong_checksum_is_one_line_and_file_left(tmp_path, capsys):
    (tmp_path / "dl").mkdir()
    src = _cifar10_archive(tmp_path / "dl")
    code = main(["data", "prepare", "cifar10", "--root", str(tmp_path / "data"), "--archive-dir", str(src)])
    err = capsys.readouterr().err.strip()
    expected = registry.load_manifest("cifar10").files[0].md5
    found = hashlib.md5((src / "cifar-10-python.tar.gz").read_bytes()).hexdigest()
    assert code == 2 and "\n" not in err and expected in err and found in err
    assert (src / "cifar-10-python.tar.gz").exists()


def test_cli_skip_checksum_warns_and_reaches_build(tmp_path, capsys):
    (tmp_path / "dl").mkdir()
    src = _cifar10_archive(tmp_path / "dl")
    root = tmp_path / "data"
    code = main(["data", "prepare", "cifar10", "--root", str(root), "--archive-dir", str(src), "--skip-checksum"])
    captured = capsys.readouterr()
    assert code == 0 and "NOT verified" in captured.err
    assert registry.verification_state("cifar10", root) == "unverified"
    from qsnn.data import build

    x, y = build("cifar10", "test", T=1, root=root)[0]
    assert tuple(x.shape) == (3, 32, 32) and y == 3


def test_cli_archive_dir_that_is_not_a_folder(tmp_path, capsys):
    code = main(["data", "prepare", "cifar10", "--root", str(tmp_path), "--archive-dir", str(tmp_path / "nope")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "--archive-dir" in err and "\n" not in err


def test_offline_download_is_one_line_not_a_traceback(tmp_path, capsys, monkeypatch):
    """The README's `qsnn data prepare cifar10` with no network: one line, exit 2."""
    import urllib.request

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    import urllib.error

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    code = main(["data", "prepare", "cifar10", "--root", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "--archive-dir" in err and "Traceback" not in err


def test_http_404_is_not_retried_and_says_what_to_do(tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            hits.append(self.path)
            self.send_error(404)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        spec = ArchiveSpec(url=f"http://127.0.0.1:{httpd.server_address[1]}/gone.tar.gz", filename="gone.tar.gz")
        from qsnn.data.download import DownloadError

        with pytest.raises(DownloadError) as err:
            fetch_and_extract(spec, tmp_path, download=True, progress=False)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert len(hits) == 1 and "404" in str(err.value) and "--archive-dir" in str(err.value)
    assert "resume" not in str(err.value)


def test_event_set_without_its_archive_says_so_instead_of_letting_tonic_download(tmp_path):
    """tonic re-downloads (gigabytes) when the archive beside the extracted files is gone."""
    from qsnn.data import build, prepare
    from qsnn.data.fake import write_fake
    from qsnn.data.registry import DatasetNotFoundError

    write_fake("dvs-gesture", tmp_path / "fakes")
    root = tmp_path / "data"
    prepare("dvs-gesture", root, archive_dir=tmp_path / "fakes", verify=False, progress=False)
    (root / "dvs-gesture" / "DVSGesture" / "ibmGestureTest.tar.gz").unlink()
    with pytest.raises(DatasetNotFoundError, match="ibmGestureTest.tar.gz is missing"):
        build("dvs-gesture", "test", T=2, root=root)
