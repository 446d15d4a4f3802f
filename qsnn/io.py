"""Atomic file writes: the one helper every stage uses for a file another stage reads.

A reader sees the old file or the new one, never a partial: bytes go to a temporary file in the
same folder, which is renamed onto the target with ``os.replace``. The result has mode 0644
(``mkstemp`` alone makes it 0600, which hides results from other users of a shared cluster
folder), and a failed write leaves no temporary file behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

FILE_MODE = 0o644


def atomic_write(path: Path, write: Callable[[Path], object], mode: int = FILE_MODE) -> Path:
    """Call ``write(tmp_path)``, then rename the temporary file onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text))


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_csv(frame, path: Path, **to_csv) -> Path:
    """A pandas DataFrame as CSV (no index unless asked)."""
    to_csv.setdefault("index", False)
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, **to_csv))


def atomic_write_npz(path: Path, **arrays) -> Path:
    """NumPy arrays as one .npz (``np.savez`` through an open file: given a name, it appends .npz)."""
    import numpy as np

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

    return atomic_write(path, write)
